// rig worker: a lab host's worker for one board: takes the queue's cases for that board kind and
// runs them until stopped (SIGTERM or Ctrl-C lets the case in hand finish).
import type { Argv } from 'yargs';
import { DEFAULTS } from '../defaults.js';
import { runWorker } from '../lab/worker.js';
import { withInterrupt } from './interrupt.js';
import { BOARD_OPTIONS, type BoardArgs } from './options.js';

export function workerOptions<T>(y: Argv<T>) {
  return y
    .options({
      queue: { type: 'string', demandOption: true, describe: "the lab's Redis, redis://[:password@]host[:port][/db]" },
      ...BOARD_OPTIONS,
      'build-dir': { type: 'string', default: DEFAULTS.buildDir, describe: 'where generated sources, ELF and map files go' },
      'lock-ms': {
        type: 'number',
        default: DEFAULTS.workerLockMs,
        describe: 'how long a case stays locked to this worker without renewal: if the worker dies, another takes it this long after',
      },
      name: { type: 'string', describe: "the worker's name in rows and progress (default host:pid)" },
    })
    .example([
      ['$0 worker --queue redis://lab:6379 --board f746 --emulate', 'an emulated F746 for the lab'],
      ['$0 worker --queue redis://:secret@lab:6379 --board f746 --variant disco --probe 066DFF…', 'the DISCO on this host, its probe pinned'],
    ]);
}

export interface WorkerArgs extends BoardArgs {
  queue: string;
  buildDir: string;
  lockMs: number;
  name?: string | undefined;
}

export async function workerCommand(args: WorkerArgs): Promise<number> {
  const { jobs } = await withInterrupt((signal) =>
    runWorker(
      {
        queue: args.queue,
        board: { board: args.board, lab: args.lab, emulate: args.emulate, variant: args.variant, probe: args.probe, port: args.port },
        buildDir: args.buildDir,
        lockMs: args.lockMs,
        name: args.name,
      },
      signal,
    ),
  );
  process.stderr.write(`rig worker: ran ${jobs} case${jobs === 1 ? '' : 's'}\n`);
  return 0;
}
