// rig bench: run models on an emulated or physical board, store and print the results.
import type { Argv } from 'yargs';
import { ROWS_OPTION_ONLY, TILED_OPTIONS_ONLY } from '../bench/bench.js';
import { runBench, ZOO_ALIAS, type BenchSchedule } from '../bench/run.js';
import { DEFAULTS } from '../defaults.js';
import { parseBytes } from '../planning/search.js';
import { shownQueueUrl } from '../lab/queue.js';
import { DEFAULT_TOKEN_ROWS } from '../schedule/mcuformer.js';
import { SCHEDULES } from '../schedule/plan.js';
import { UserError } from '../util/errors.js';
import { csvTable } from '../util/format.js';
import { progress } from '../util/log.js';
import { withInterrupt } from './interrupt.js';
import { numberProblems } from './numbers.js';
import { BOARD_OPTIONS, declaredArgs, INPUT_OPTION, KERNELS_OPTION, type BoardArgs, type OptionSpecs } from './options.js';
import { comparisonTable, outputFormat, RESULT_HEADERS, resultCells, resultsTable } from './table.js';

export const BENCH_OPTIONS = {
  ...BOARD_OPTIONS,
  'arena-ram': { type: 'string', describe: "silicon: the SRAM that holds the arena (f746: all, dtcm, sram1; default: the board file's)" },
  model: {
    type: 'string',
    array: true,
    default: [DEFAULTS.benchModel],
    describe: `built-in model name, path to a model spec (.json) or an int8 TFLite file (.tflite), or "${ZOO_ALIAS}" for every zoo network; repeatable`,
  },
  schedule: {
    choices: [...SCHEDULES, 'auto'],
    array: true,
    describe:
      'inference schedule; repeatable (every model runs under each); auto: the one rig plan --budget chooses for the board (default: every schedule that applies to the model: layer, patch, stream1d and stream2d for a CNN, layer and mcuformer for a transformer)',
  },
  budget: { type: 'string', describe: "auto: the arena budget (default: the board's SRAM less its stack)" },
  patches: { type: 'number', describe: 'patch: a P×P grid over the patch-stage output (default 2)' },
  split: { type: 'number', describe: 'patch: the stage is the first N blocks of the spec (default: the smallest arena)' },
  rows: { type: 'number', describe: `mcuformer: token rows per block of an integrated chain (default ${DEFAULT_TOKEN_ROWS})` },
  queue: { type: 'string', describe: "the lab's Redis (redis://…): the cases go to its workers for the board kind instead of a board of this host" },
  'queue-wait': {
    type: 'number',
    describe: `--queue: milliseconds the cases wait while no worker of their board kind listens; then each is a device-error row (default ${DEFAULTS.queueWaitMs})`,
  },
  kernels: KERNELS_OPTION,
  seed: { type: 'number', default: DEFAULTS.seed, describe: 'seed for weights and input' },
  input: INPUT_OPTION,
  output: { type: 'string', describe: "write the device's output tensor to this file (raw int8, or .npy for a .npy name); one model" },
  warmup: { type: 'number', default: DEFAULTS.warmup, describe: 'untimed inferences before the timed ones' },
  runs: { type: 'number', default: DEFAULTS.runs, describe: 'timed inferences' },
  timeout: { type: 'number', default: DEFAULTS.inferenceTimeoutMs, describe: 'longest one inference may take (ms)' },
  db: { type: 'string', default: DEFAULTS.db, describe: 'SQLite results database' },
  'build-dir': { type: 'string', default: DEFAULTS.buildDir, describe: 'where generated sources, ELF and map files go' },
  json: { type: 'boolean', default: false, describe: 'print result rows as JSON on stdout' },
  csv: { type: 'boolean', default: false, describe: 'print result rows as CSV on stdout' },
} as const satisfies OptionSpecs;

export function benchOptions<T>(y: Argv<T>) {
  return y.options(BENCH_OPTIONS);
}

export interface BenchArgs extends BoardArgs {
  arenaRam?: string | undefined;
  model: string[];
  /** Omitted: every schedule that applies to each model. */
  schedule?: BenchSchedule[] | undefined;
  budget?: string | undefined;
  patches?: number | undefined;
  split?: number | undefined;
  rows?: number | undefined;
  queue?: string | undefined;
  queueWait?: number | undefined;
  kernels: string;
  seed: number;
  input?: string | undefined;
  output?: string | undefined;
  warmup: number;
  runs: number;
  timeout: number;
  db: string;
  buildDir: string;
  json: boolean;
  csv?: boolean | undefined;
  /** Everything yargs parsed, for what the run stores of it. */
  readonly [option: string]: unknown;
}

/** The counts and ranges the command line checks (rig/cli/numbers.ts), again for a caller that did not come through it. */
function checkCounts(args: BenchArgs): void {
  const names = ['seed', 'timeout', 'warmup', 'runs', 'patches', 'split', 'rows'];
  const problems = numberProblems(args, { number: names, key: Object.fromEntries(names.map((n) => [n, true])) }, []);
  if (problems.length > 0) throw new UserError(problems.join('\n'), { exitCode: 2 });
}

export async function benchCommand(args: BenchArgs): Promise<number> {
  checkCounts(args);
  const format = outputFormat(args);
  const schedules = args.schedule === undefined ? undefined : [...new Set(args.schedule)];
  if ((args.patches !== undefined || args.split !== undefined) && schedules?.every((s) => s === 'layer' || s === 'mcuformer'))
    throw new UserError(TILED_OPTIONS_ONLY, { exitCode: 2 });
  if (args.rows !== undefined && schedules !== undefined && !schedules.includes('mcuformer')) throw new UserError(ROWS_OPTION_ONLY, { exitCode: 2 });
  if (args.budget !== undefined && !schedules?.includes('auto')) throw new UserError('--budget goes with --schedule auto', { exitCode: 2 });
  const budget =
    args.budget === undefined ? undefined : { kind: 'bytes' as const, bytes: parseBytes(args.budget, '--budget'), given: `--budget ${args.budget}` };

  const { runId, rows, unmet } = await withInterrupt((signal) =>
    runBench(
      {
        board: { board: args.board, lab: args.lab, emulate: args.emulate, variant: args.variant, probe: args.probe, port: args.port, arenaRam: args.arenaRam },
        models: args.model,
        schedules,
        patches: args.patches,
        split: args.split,
        rows: args.rows,
        queue: args.queue,
        queueWaitMs: args.queueWait,
        budget,
        seed: args.seed,
        input: args.input,
        output: args.output,
        warmup: args.warmup,
        runs: args.runs,
        timeoutMs: args.timeout,
        kernels: args.kernels,
        db: args.db,
        buildDir: args.buildDir,
        wait: args.wait,
        // The options as given, each once, with what --emulate and --arena-ram resolved to.
        describeRun: ({ emulate, arenaRam }) => ({
          ...declaredArgs(args, BENCH_OPTIONS),
          // The queue's password is not stored.
          ...(args.queue === undefined ? {} : { queue: shownQueueUrl(args.queue) }),
          emulate,
          'arena-ram': arenaRam,
        }),
      },
      signal,
    ),
  );

  if (format === 'json') process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  else if (format === 'csv') process.stdout.write(csvTable(RESULT_HEADERS, rows.map(resultCells)));
  else {
    process.stdout.write(resultsTable(rows));
    if (new Set(rows.map((r) => r.schedule)).size > 1) process.stdout.write('\n' + comparisonTable(rows));
  }
  progress(`Stored run ${runId} in ${args.db}`);
  const failed = rows.filter((r) => r.status !== 'ok' && r.status !== 'does-not-fit');
  // A case --schedule auto found no plan for failed what it was asked: a schedule that fits.
  return failed.length === 0 && unmet === 0 ? 0 : 1;
}
