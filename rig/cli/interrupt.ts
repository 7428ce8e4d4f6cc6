// One AbortSignal per command, created where the command starts and aborted by Ctrl-C, so the run
// in progress is marked interrupted and every child process is stopped.
import { UserError } from '../util/errors.js';
import { progress } from '../util/log.js';

/**
 * Runs `work` with one AbortSignal that Ctrl-C aborts. A persistent listener: with none left,
 * execa's exit hook would re-raise the signal and kill rig before the run is marked. A second
 * Ctrl-C exits at once (children still killed).
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    progress('Interrupted: stopping the current run and marking it interrupted (Ctrl-C again to quit now)');
    controller.abort(new UserError('Interrupted', { exitCode: 130 }));
  };
  process.on('SIGINT', onSigint);
  try {
    return await work(controller.signal);
  } catch (error) {
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
