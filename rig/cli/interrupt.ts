// One AbortSignal per command, created where the command starts and aborted by Ctrl-C, SIGTERM or
// SIGHUP (what `timeout`, systemd and a cancelled CI job send), so the run in progress is marked
// interrupted, every child process is stopped, and rig exits with the signal's status.
import { UserError } from '../util/errors.js';
import { progress } from '../util/log.js';

/** The signals a command stops on, with the exit status of a process they ended (128 + the signal's number). */
export const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof STOP_SIGNALS;

/**
 * Runs `work` with one AbortSignal that SIGINT, SIGTERM and SIGHUP abort. Persistent listeners:
 * with none left, execa's exit hook would re-raise the signal and kill rig before the run is
 * marked. A second signal exits at once (children still killed: they die with rig).
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const handlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((name) => {
    const exitCode = STOP_SIGNALS[name];
    const handler = () => {
      if (controller.signal.aborted) process.exit(exitCode);
      const again = name === 'SIGINT' ? 'Ctrl-C again to quit now' : `${name} again to quit now`;
      progress(`Interrupted by ${name}: stopping the current run and marking it interrupted (${again})`);
      controller.abort(new UserError(`Interrupted by ${name}`, { exitCode }));
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  try {
    return await work(controller.signal);
  } catch (error) {
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler);
  }
}
