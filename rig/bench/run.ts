// `rig bench` below the command line: the board and its runner, every model read and every case
// planned before anything runs, then one session that stores the run and its rows.
import { arenaRamUnderEmulation } from '../compile/firmware.js';
import { checkKernels } from '../compile/kernels.js';
import type { Board } from '../config/board.js';
import { resolveLabBoard } from '../config/lab.js';
import { readInputFile, withInput, writeOutputFile } from '../config/input.js';
import { loadModel } from '../config/model.js';
import { DEFAULTS } from '../defaults.js';
import type { Model } from '../model/ir.js';
import { BUILTIN_MODELS, DEFAULT_MODEL, TRANSFORMERS } from '../model/zoo.js';
import { searchSetup, measuredInstructions, type BudgetRequest, type SearchSetup } from '../planning/search.js';
import { dispatchRun, labModel } from '../lab/dispatch.js';
import type { ResultRow, RunnerKind } from '../results/row.js';
import { defaultSchedules, scheduleLabel, type Plan, type ScheduleName } from '../schedule/plan.js';
import { search } from '../schedule/search.js';
import { Store } from '../store/db.js';
import { UserError } from '../util/errors.js';
import { formatInt } from '../util/format.js';
import { progress } from '../util/log.js';
import { planFor, timing, type BenchCase, type BenchContext } from './bench.js';
import { openRunner, runSession, type SessionRunner } from './session.js';

/** A model name that stands for every built-in convolutional network of the papers (all but the small default and the transformers). */
export const ZOO_ALIAS = 'zoo';

const TRANSFORMER_NAMES = new Set(TRANSFORMERS.map((t) => t.name));

export function expandModels(names: readonly string[]): string[] {
  const zoo = [...BUILTIN_MODELS.keys()].filter((m) => m !== DEFAULT_MODEL && !TRANSFORMER_NAMES.has(m));
  return [...new Set(names.flatMap((n) => (n === ZOO_ALIAS ? zoo : [n])))];
}

export type BenchSchedule = ScheduleName | 'auto';

/** Which board, as a command names it: none means the default board, emulated. */
export interface BoardRequest {
  board?: string | undefined;
  lab?: string | undefined;
  emulate?: boolean | undefined;
  variant?: string | undefined;
  probe?: string | undefined;
  port?: string | undefined;
  arenaRam?: string | undefined;
}

/**
 * The board a request names and its runner: emulated when asked or when no board is named, else
 * the physical board through its probe. `command` names the command in the hints.
 */
export async function openBoard(request: BoardRequest, command: string): Promise<{ board: Board; emulate: boolean; session: SessionRunner }> {
  const emulate = request.emulate === true || request.board === undefined;
  const { board, entry } = await resolveLabBoard(request.board ?? DEFAULTS.board, request.lab);
  if (emulate && (request.probe ?? request.port) !== undefined) {
    throw new UserError('--probe and --port choose a physical board; they do not go with --emulate', { exitCode: 2 });
  }
  if (emulate && request.arenaRam !== undefined) throw new UserError(arenaRamUnderEmulation(board), { exitCode: 2 });
  const session = await openRunner({
    board,
    entry,
    emulate,
    variant: request.variant,
    probe: request.probe,
    port: request.port,
    arenaRam: request.arenaRam,
    command,
  });
  return { board, emulate, session };
}

/**
 * The plan the search chooses; when none meets the budget, the smallest, with why it is refused:
 * its row is does-not-fit (nothing is built or run) and rig bench exits non-zero.
 */
function autoPlan(model: Model, setup: SearchSetup, where: { board: string; db: string }): { plan: Plan; refused?: string } {
  const result = search(model, setup.objective, DEFAULTS.maxPatches, measuredInstructions(model, where));
  const pick = result.chosen ?? [...result.candidates].sort((a, b) => a.arenaBytes - b.arenaBytes)[0]!;
  const label = scheduleLabel(pick.schedule, pick.options);
  progress(
    `${model.name}: --schedule auto chose ${label} (${result.candidates.length} plans, ${setup.budgetSource}${result.chosen === undefined ? ': none fits' : ''})`,
  );
  const plan = planFor(
    pick.schedule === 'layer'
      ? { model, schedule: 'layer' }
      : { model, schedule: pick.schedule, patches: pick.options['patches'], split: pick.options['split'] },
  );
  if (result.chosen !== undefined) return { plan };
  return {
    plan,
    refused: `--schedule auto: none of ${result.candidates.length} plans of ${model.name} meets ${setup.budgetSource}; the smallest arena is ${formatInt(pick.arenaBytes)} B (${label})`,
  };
}

export interface BenchRequest {
  board: BoardRequest;
  /** Model names or spec files; `zoo` for every zoo network. */
  models: readonly string[];
  /** Every model runs under each; omitted, under every schedule that applies to it. */
  schedules?: readonly BenchSchedule[] | undefined;
  /** The tiled schedules' grid and split; omitted ones take their defaults. */
  patches?: number | undefined;
  split?: number | undefined;
  /** The mcuformer schedule's token rows per block. */
  rows?: number | undefined;
  /** `auto`: the budget the search chooses within (default: what the board leaves). */
  budget?: BudgetRequest | undefined;
  seed: number;
  /** A file of input bytes (raw NHWC int8, or .npy) every model runs on instead of its seeded input. */
  input?: string | undefined;
  /** Where the device's output tensor goes (raw, or .npy): one model's, from its first case that ran bit-exact. */
  output?: string | undefined;
  warmup: number;
  runs: number;
  timeoutMs: number;
  /** The kernel variant compiled into every image. */
  kernels: string;
  db: string;
  buildDir: string;
  /** Wait for a board another rig process uses (false: fail at once). */
  wait: boolean;
  /** The lab's queue (redis://…): the cases go to its workers instead of a board of this host. */
  queue?: string | undefined;
  /** With `queue`: how long cases wait while no worker of the board kind listens. */
  queueWaitMs?: number | undefined;
  /** What the run stores as its arguments, given whether the board is emulated and the arena RAM chosen. */
  describeRun(resolved: { emulate: boolean; arenaRam: string | null }): unknown;
}

/**
 * `rig bench --queue`: the cases planned here, run by the lab's workers of the board kind, stored
 * here. A worker rebuilds each model from what the job carries: a built-in name, or a spec's JSON.
 */
async function runBenchQueued(request: BenchRequest, queue: string, signal: AbortSignal): Promise<{ runId: number; rows: ResultRow[] }> {
  const b = request.board;
  for (const [given, option] of [
    [b.probe, '--probe'],
    [b.port, '--port'],
    [b.arenaRam, '--arena-ram'],
    [b.variant, '--variant'],
    [request.input, '--input'],
    [request.output, '--output'],
  ] as const) {
    if (given !== undefined)
      throw new UserError(`${option} does not go with --queue: the lab's workers have their boards and run the cases as they are`, { exitCode: 2 });
  }
  if (request.schedules?.includes('auto') === true) throw new UserError('--schedule auto does not go with --queue: name the schedules', { exitCode: 2 });
  const { board } = await resolveLabBoard(b.board ?? DEFAULTS.board, b.lab);
  const runner: RunnerKind = b.emulate === true || b.board === undefined ? 'qemu' : 'hardware';
  const cases = await Promise.all(
    expandModels(request.models).map(async (name) => {
      const model = await loadModel(name, request.seed);
      return { model, source: await labModel(name) };
    }),
  );
  const queued = cases.flatMap(({ model, source }) =>
    (request.schedules ?? defaultSchedules(model)).map((schedule) => ({ plan: planFor(caseOptions(model, schedule as ScheduleName, request)), model: source })),
  );
  signal.throwIfAborted();
  const store = new Store(request.db);
  try {
    return await dispatchRun(
      store,
      {
        queue,
        board,
        runner,
        cases: queued,
        seed: request.seed,
        warmup: request.warmup,
        runs: request.runs,
        timeoutMs: request.timeoutMs,
        kernels: request.kernels,
        waitMs: request.queueWaitMs ?? DEFAULTS.queueWaitMs,
        args: request.describeRun({ emulate: runner === 'qemu', arenaRam: null }),
      },
      signal,
    );
  } finally {
    store.close();
  }
}

/** A case's plan settings: the tiled schedules take the grid and split given, mcuformer the rows. */
export function caseOptions(
  model: Model,
  schedule: ScheduleName,
  given: { patches?: number | undefined; split?: number | undefined; rows?: number | undefined },
): BenchCase {
  if (schedule === 'layer') return { model, schedule };
  if (schedule === 'mcuformer') return { model, schedule, rows: given.rows };
  return { model, schedule, patches: given.patches, split: given.split };
}

/** Writes the output of the first case that ran bit-exact to `path` (the others computed the same bytes). */
function firstOutput(path: string, model: Model): BenchContext['onOutput'] {
  let written = false;
  return async (row, output) => {
    if (written || row.status !== 'ok') return;
    await writeOutputFile(path, model, output);
    written = true;
    progress(`Wrote the device's output (${output.length} bytes, CRC-32 ${row.outputCrc32}) to ${path}`);
  };
}

/** Runs every model under every schedule on one board and stores one run; `signal` stops it, the run then marked interrupted. */
/** The run, its rows, and how many --schedule auto cases found no plan within their budget (each a does-not-fit row; the command then fails). */
export async function runBench(request: BenchRequest, signal: AbortSignal): Promise<{ runId: number; rows: ResultRow[]; unmet: number }> {
  checkKernels(request.kernels);
  if (request.queue !== undefined) return { ...(await runBenchQueued(request, request.queue, signal)), unmet: 0 };
  const started = performance.now();
  const { board, emulate, session } = await openBoard(request.board, 'bench');
  // Every model is read and every case planned before anything runs or is stored.
  const input = request.input === undefined ? undefined : await readInputFile(request.input);
  const models = await Promise.all(
    expandModels(request.models).map(async (m) => {
      const model = await loadModel(m, request.seed);
      return input === undefined ? model : withInput(model, input);
    }),
  );
  if (request.output !== undefined && models.length !== 1)
    throw new UserError(`--output ${request.output} takes the output of one model; this run has ${models.length}`, { exitCode: 2 });
  const given = request.schedules === undefined ? undefined : [...new Set(request.schedules)];
  const auto = given?.includes('auto') === true ? await searchSetup(request.budget ?? { kind: 'board' }, board, session.runner.target) : undefined;
  const refused = new Map<Plan, string>();
  const plans = models.flatMap((model) =>
    (given ?? defaultSchedules(model)).map((schedule) => {
      if (schedule === 'auto') {
        const chosen = autoPlan(model, auto!, { board: board.id, db: request.db });
        if (chosen.refused !== undefined) refused.set(chosen.plan, chosen.refused);
        return chosen.plan;
      }
      return planFor(caseOptions(model, schedule, request));
    }),
  );
  timing(`planning ${Math.round(performance.now() - started)} ms (${plans.length} case${plans.length === 1 ? '' : 's'})`);
  signal.throwIfAborted();
  const store = new Store(request.db);
  try {
    const args = request.describeRun({ emulate, arenaRam: session.runner.target.arenaRam });
    const settings = {
      seed: request.seed,
      warmup: request.warmup,
      runs: request.runs,
      timeoutMs: request.timeoutMs,
      kernels: request.kernels,
      buildDir: request.buildDir,
      wait: request.wait,
      args,
      onOutput: request.output === undefined ? undefined : firstOutput(request.output, models[0]!),
      refused,
    };
    return { ...(await runSession(store, session, plans, settings, signal)), unmet: refused.size };
  } finally {
    store.close();
  }
}
