// rig bench: run models on an emulated or physical board, store and print the results.
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { planFor, TILED_OPTIONS_ONLY } from '../bench/bench.js';
import { resolveLabBoard } from '../config/lab.js';
import { loadModel } from '../config/model.js';
import { openRunner, runSession, type SessionRunner } from '../bench/session.js';
import type { Board } from '../config/board.js';
import { arenaRamUnderEmulation } from '../compile/firmware.js';
import { Store } from '../store/db.js';
import { BUILTIN_MODELS, DEFAULT_MODEL } from '../model/zoo.js';
import { scheduleLabel, SCHEDULES, type Plan, type ScheduleName } from '../schedule/plan.js';
import type { Model } from '../model/ir.js';
import { search } from '../schedule/search.js';
import { checkMaxPatches, measuredInstructions, searchSetup, type SearchSetup } from './search.js';
import { UserError } from '../util/errors.js';
import { progress } from '../util/log.js';
import { BUILD_DIR, RESULTS_DIR } from '../util/paths.js';
import { RESULT_HEADERS, resultCells } from './results.js';
import { comparisonTable, csvTable, outputFormat, resultsTable } from './table.js';

export { SCHEDULES };
export const DEFAULT_DB = join(RESULTS_DIR, 'rig.db');
export const DEFAULT_BOARD = 'f746';
/** What `rig bench` runs with no arguments: a small zoo network, under every schedule. */
export const BENCH_DEFAULT_MODEL = 'mcunet-in0';
/** `--model zoo`: every built-in network of the papers (all but the small default). */
export const ZOO_ALIAS = 'zoo';

export type BenchSchedule = ScheduleName | 'auto';

/** The plan the search chooses; when none fits, the smallest, which then reports does-not-fit. */
function autoPlan(model: Model, setup: SearchSetup, where: { board: string; db: string }): Plan {
  const result = search(model, setup.objective, checkMaxPatches(undefined), measuredInstructions(model, where));
  const pick = result.chosen ?? [...result.candidates].sort((a, b) => a.arenaBytes - b.arenaBytes)[0]!;
  progress(`${model.name}: --schedule auto chose ${scheduleLabel(pick.schedule, pick.options)} (${result.candidates.length} plans, ${setup.budgetSource}${result.chosen === undefined ? ': none fits' : ''})`);
  return planFor(pick.schedule === 'layer' ? { model, schedule: 'layer' } : { model, schedule: pick.schedule, patches: pick.options['patches'], split: pick.options['split'] });
}

export function expandModels(names: readonly string[]): string[] {
  return [...new Set(names.flatMap((n) => (n === ZOO_ALIAS ? [...BUILTIN_MODELS.keys()].filter((m) => m !== DEFAULT_MODEL) : [n])))];
}

/** The options that choose the board, shared by rig bench and rig selftest. */
export function boardOptions<T>(y: Argv<T>) {
  return y
    .option('board', { type: 'string', describe: 'board id (boards/<id>.json), board file, or a lab board\'s name (--lab); alone it means the physical board' })
    .option('lab', { type: 'string', describe: 'lab inventory naming the physical boards (default boards/lab.json, if present)' })
    .option('emulate', { type: 'boolean', describe: 'run on the emulated board (QEMU) instead of silicon' })
    .option('variant', { type: 'string', describe: "silicon: the board variant (nucleo, disco; default: the board file's)" })
    .option('probe', { type: 'string', describe: 'silicon: the ST-LINK serial number, when several are attached' })
    .option('port', { type: 'string', describe: "silicon: the probe's virtual COM port, instead of finding it" })
    .option('wait', { type: 'boolean', default: true, describe: 'silicon: wait while another rig process uses the board (--no-wait: fail at once)' });
}

export interface BoardArgs {
  board?: string | undefined;
  emulate?: boolean | undefined;
  variant?: string | undefined;
  probe?: string | undefined;
  port?: string | undefined;
  lab?: string | undefined;
  wait: boolean;
  arenaRam?: string | undefined;
}

/**
 * The board the options name and its runner: emulated with --emulate or without --board, else the
 * physical board through its probe. `command` names the command in the hints.
 */
export async function openBoard(args: BoardArgs, command: string): Promise<{ board: Board; emulate: boolean; session: SessionRunner }> {
  const emulate = args.emulate === true || args.board === undefined;
  const { board, entry } = await resolveLabBoard(args.board ?? DEFAULT_BOARD, args.lab);
  if (emulate && (args.variant ?? args.probe ?? args.port) !== undefined) {
    throw new UserError('--variant, --probe and --port choose a physical board; they do not go with --emulate', { exitCode: 2 });
  }
  if (emulate && args.arenaRam !== undefined) throw new UserError(arenaRamUnderEmulation(board), { exitCode: 2 });
  const session = await openRunner({ board, entry, emulate, variant: args.variant, probe: args.probe, port: args.port, arenaRam: args.arenaRam, command });
  return { board, emulate, session };
}

export function benchOptions<T>(y: Argv<T>) {
  return boardOptions(y)
    .option('arena-ram', { type: 'string', describe: "silicon: the SRAM that holds the arena (f746: all, dtcm, sram1; default: the board file's)" })
    .option('model', { type: 'string', array: true, default: [BENCH_DEFAULT_MODEL], describe: `built-in model name, path to a model spec (.json), or "${ZOO_ALIAS}" for every zoo network; repeatable` })
    .option('schedule', {
      choices: [...SCHEDULES, 'auto'] as const,
      array: true,
      default: [...SCHEDULES] as BenchSchedule[],
      describe: 'inference schedule; repeatable (every model runs under each); auto: the one rig plan --budget chooses for the board',
    })
    .option('budget', { type: 'string', describe: "auto: the arena budget (default: the board's SRAM less its stack)" })
    .option('patches', { type: 'number', describe: 'patch: a P×P grid over the patch-stage output (default 2)' })
    .option('split', { type: 'number', describe: 'patch: the stage is the first N blocks of the spec (default: the smallest arena)' })
    .option('seed', { type: 'number', default: 1, describe: 'seed for weights and input' })
    .option('warmup', { type: 'number', default: 1, describe: 'untimed inferences before the timed ones' })
    .option('runs', { type: 'number', default: 5, describe: 'timed inferences' })
    .option('timeout', { type: 'number', default: 60_000, describe: 'longest one inference may take (ms)' })
    .option('db', { type: 'string', default: DEFAULT_DB, describe: 'SQLite results database' })
    .option('build-dir', { type: 'string', default: BUILD_DIR, describe: 'where generated sources, ELF and map files go' })
    .option('json', { type: 'boolean', default: false, describe: 'print result rows as JSON on stdout' })
    .option('csv', { type: 'boolean', default: false, describe: 'print result rows as CSV on stdout' });
}

export interface BenchArgs extends BoardArgs {
  model: string[];
  schedule: BenchSchedule[];
  budget?: string | undefined;
  patches?: number | undefined;
  split?: number | undefined;
  seed: number;
  warmup: number;
  runs: number;
  timeout: number;
  db: string;
  buildDir: string;
  json: boolean;
  csv?: boolean | undefined;
}

function checkCounts(args: BenchArgs): void {
  const bad = (['warmup', 'runs', 'timeout', 'seed'] as const).filter((k) => !Number.isInteger(args[k]) || args[k] < (k === 'runs' || k === 'timeout' ? 1 : 0));
  if (bad.length > 0) throw new UserError(`Expected whole numbers (--runs and --timeout at least 1): ${bad.map((k) => `--${k} ${args[k]}`).join(', ')}`, { exitCode: 2 });
  if (args.runs > 1000 || args.warmup > 1000) throw new UserError(`--runs and --warmup are at most 1000, found ${args.runs} and ${args.warmup}`, { exitCode: 2 });
}

export async function benchCommand(args: BenchArgs): Promise<number> {
  checkCounts(args);
  const format = outputFormat(args);
  const { board, emulate, session } = await openBoard(args, 'bench');
  // Every model is read and every case planned before anything runs or is stored.
  const models = await Promise.all(expandModels(args.model).map((m) => loadModel(m, args.seed)));
  const schedules = [...new Set(args.schedule)];
  const tiled = schedules.filter((s) => s !== 'layer');
  if ((args.patches !== undefined || args.split !== undefined) && tiled.length === 0) {
    throw new UserError(TILED_OPTIONS_ONLY, { exitCode: 2 });
  }
  if (args.budget !== undefined && !schedules.includes('auto')) throw new UserError('--budget goes with --schedule auto', { exitCode: 2 });
  const auto = schedules.includes('auto') ? await searchSetup({ budget: args.budget }, board, session.runner.target) : undefined;
  const plans = models.flatMap((model) =>
    schedules.map((schedule) => {
      if (schedule === 'auto') return autoPlan(model, auto!, { board: board.id, db: args.db });
      return planFor(schedule === 'layer' ? { model, schedule } : { model, schedule, patches: args.patches, split: args.split });
    }),
  );

  const { runId, rows } = await withInterrupt(async (signal) => {
    const store = new Store(args.db);
    try {
      const settings = { seed: args.seed, warmup: args.warmup, runs: args.runs, timeoutMs: args.timeout, buildDir: args.buildDir, wait: args.wait, args: { ...args, emulate, arenaRam: session.runner.target.arenaRam } };
      return await runSession(store, session, plans, settings, signal);
    } finally {
      store.close();
    }
  });

  if (format === 'json') process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  else if (format === 'csv') process.stdout.write(csvTable(RESULT_HEADERS, rows.map(resultCells)));
  else {
    process.stdout.write(resultsTable(rows));
    if (schedules.length > 1) process.stdout.write('\n' + comparisonTable(rows));
  }
  progress(`Stored run ${runId} in ${args.db}`);
  const failed = rows.filter((r) => r.status !== 'ok' && r.status !== 'does-not-fit');
  return failed.length === 0 ? 0 : 1;
}

/**
 * Runs `work` with one AbortSignal that Ctrl-C aborts, so the run in progress is marked
 * interrupted. A persistent listener: with none left, execa's exit hook would re-raise the signal
 * and kill rig before the run is marked. A second Ctrl-C exits at once (children still killed).
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
