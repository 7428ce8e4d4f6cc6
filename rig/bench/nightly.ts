// A nightly run below the command line: a suite's matrix of boards × models × schedules, compared
// case by case with the suite's last good night, leaving a report, JUnit XML and a JSON summary.
// A board that is missing or hangs fails its own rows; the night goes on. A night stopped by a
// signal (Ctrl-C, SIGTERM, SIGHUP) is marked interrupted and still writes its files for what ran;
// resumed, it runs the cases it has no row for under the same id and is judged on all of them.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describeArenaRams } from '../compile/firmware.js';
import { checkKernels } from '../compile/kernels.js';
import { resolveLabBoard } from '../config/lab.js';
import { loadModel } from '../config/model.js';
import { loadSuite, type Suite, type SuiteEntry } from '../config/suite.js';
import { writeReport } from '../report/write.js';
import { caseKey, compareRows, latencyRule, tally, type CaseFields, type RowComparison, type Verdict } from '../results/compare.js';
import { junitXml } from '../results/junit.js';
import type { ResultRow } from '../results/row.js';
import { defaultSchedules, type Plan } from '../schedule/plan.js';
import { PlanRefusal, type PlanField } from '../schedule/refusal.js';
import { Store, type Nightly, type NightlyStatus } from '../store/db.js';
import { errorMessage, UserError } from '../util/errors.js';
import { progress } from '../util/log.js';
import { planFor } from './bench.js';
import { caseOptions, expandModels } from './run.js';
import { dispatchRun, labModel, type DispatchRequest } from '../lab/dispatch.js';
import { DEFAULTS } from '../defaults.js';
import { openRunner, recordUnreachable, runSession, type BoardChoice, type SessionSettings } from './session.js';

export interface PreparedEntry {
  choice: BoardChoice;
  plans: Plan[];
  /** The kernel variant, checked against the folders. */
  kernels: string;
  /** Each plan's model as the entry named it (a built-in name or a spec path), by the model's name: what a queued case carries. */
  modelNames: ReadonlyMap<string, string>;
}

/** The suite entry's field a planner refusal is about. */
const ENTRY_FIELD: Readonly<Record<PlanField, keyof SuiteEntry>> = { split: 'split', patches: 'patches', rows: 'rows', schedule: 'schedules' };

/**
 * Every entry's board, models and plans, before anything runs: bad input stores nothing, and each
 * problem is named by its place in the suite file (`night.json: entries[1].split: …`).
 */
export async function planSuite(suite: Suite, lab: string | undefined): Promise<PreparedEntry[]> {
  return Promise.all(
    suite.entries.map(async (e, i) => {
      const at = (field: string) => (error: unknown) => {
        throw new UserError(`${suite.file}: entries[${i}].${field}: ${error instanceof PlanRefusal ? error.reason : errorMessage(error)}`, { exitCode: 2 });
      };
      const kernels = await Promise.resolve(e.kernels)
        .then((k) => checkKernels(k))
        .catch(at('kernels'));
      const { board, entry } = await resolveLabBoard(e.board, lab).catch(at('board'));
      const names = expandModels(e.models);
      const models = await Promise.all(names.map((m) => loadModel(m, suite.seed))).catch(at('models'));
      let plans: Plan[];
      try {
        plans = models.flatMap((model) => (e.schedules ?? defaultSchedules(model)).map((schedule) => planFor(caseOptions(model, schedule, e))));
      } catch (error) {
        return at(error instanceof PlanRefusal ? ENTRY_FIELD[error.field] : 'schedules')(error);
      }
      if (e.arenaRam !== undefined && !(e.arenaRam in board.arenaRams)) {
        at('arenaRam')(new UserError(`expected one of ${describeArenaRams(board)} (${board.file}, memory.arenaRam), found "${e.arenaRam}"`));
      }
      return {
        choice: { board, entry, emulate: e.emulate, variant: e.variant, probe: e.probe, port: e.port, arenaRam: e.arenaRam },
        plans,
        kernels,
        modelNames: new Map(models.map((m, k) => [m.name, names[k]!])),
      };
    }),
  );
}

/** A suite entry's cases for the lab's workers of its board kind (`rig nightly --queue`). */
async function queuedEntry(queue: string, waitMs: number | undefined, p: PreparedEntry, settings: SessionSettings): Promise<DispatchRequest> {
  const c = p.choice;
  if (c.probe !== undefined || c.port !== undefined || c.arenaRam !== undefined)
    throw new UserError(`${c.board.id}: a suite entry's probe, port and arenaRam choose a board of this host; with --queue the lab's workers have theirs`, {
      exitCode: 2,
    });
  // Each plan's model as the entry named it: a worker rebuilds it from that.
  const sources = new Map(await Promise.all([...p.modelNames].map(async ([model, given]) => [model, await labModel(given)] as const)));
  return {
    queue,
    board: c.board,
    runner: c.emulate ? 'qemu' : 'hardware',
    cases: p.plans.map((plan) => ({ plan, model: sources.get(plan.model.name)! })),
    seed: settings.seed,
    warmup: settings.warmup,
    runs: settings.runs,
    timeoutMs: settings.timeoutMs,
    kernels: settings.kernels,
    waitMs: waitMs ?? DEFAULTS.queueWaitMs,
    args: settings.args,
    nightlyId: settings.nightlyId,
  };
}

export type NightlyOutcome = Exclude<NightlyStatus, 'running' | 'interrupted' | 'abandoned'>;
/** How a night that wrote its files ended: judged, or cut short by a signal (what ran is judged). */
export type NightlyEnd = NightlyOutcome | 'interrupted';

function nightlyStatus(comparisons: readonly RowComparison[]): NightlyOutcome {
  if (comparisons.some((c) => c.verdict === 'failed' || c.verdict === 'missing')) return 'failed';
  if (comparisons.some((c) => c.verdict === 'regressed')) return 'regressed';
  return 'passed';
}

/** The key of the case a plan of an entry stores: the one rows are compared by (caseKey). */
export function planCaseKey(p: PreparedEntry, plan: Plan, seed: number): string {
  return caseKey({
    model: plan.model.name,
    schedule: plan.schedule,
    scheduleOptions: plan.options,
    kernelVariant: p.kernels,
    board: p.choice.board.id,
    runner: p.choice.emulate ? 'qemu' : 'hardware',
    seed,
  });
}

export interface RemainingCases {
  /** Every entry with only the plans that have no stored row (none left: the entry runs nothing). */
  entries: PreparedEntry[];
  /** The suite's cases that have a stored row, whatever its status: a resumed night does not retry them. */
  done: number;
  /** Stored cases the suite no longer has (its file changed): not judged. */
  gone: number;
}

/** What a resumed night still has to run: the suite's cases the stored rows do not name. */
export function remainingCases(prepared: readonly PreparedEntry[], stored: readonly CaseFields[], seed: number): RemainingCases {
  const storedKeys = new Set(stored.map(caseKey));
  const suiteKeys = new Set<string>();
  let done = 0;
  const entries = prepared.map((p) => ({
    ...p,
    plans: p.plans.filter((plan) => {
      const key = planCaseKey(p, plan, seed);
      suiteKeys.add(key);
      if (!storedKeys.has(key)) return true;
      done++;
      return false;
    }),
  }));
  return { entries, done, gone: [...storedKeys].filter((k) => !suiteKeys.has(k)).length };
}

/** Statuses a nightly can be resumed from. */
const RESUMABLE: ReadonlySet<NightlyStatus> = new Set(['interrupted', 'abandoned']);

/** The nightly `--resume` names (`newest`: the suite's newest interrupted or abandoned one), or why there is none. */
function resumable(store: Store, suite: string, resume: number | 'newest', db: string): Nightly {
  const refuse = (message: string) => new UserError(message, { exitCode: 2 });
  if (resume === 'newest') {
    const found = store.nightlies({ suite }).find((n) => RESUMABLE.has(n.status));
    if (found === undefined) throw refuse(`--resume: suite ${suite} has no interrupted or abandoned nightly in ${db} to resume`);
    return found;
  }
  const night = store.nightly(resume);
  if (night === undefined) throw refuse(`--resume ${resume}: there is no nightly ${resume} in ${db}`);
  if (night.suite !== suite) throw refuse(`--resume ${resume}: nightly ${resume} is of suite ${night.suite}, not ${suite}`);
  if (night.status === 'running') {
    // Opening the store marked abandoned a running nightly of this host whose process is gone: this one's lives, or is another host's.
    const owner = store.nightlyOwner(resume);
    const where =
      owner?.host === hostname() ? `its process ${owner.pid} is alive` : `on host ${owner?.host ?? 'unknown'}, which rig cannot ask whether its process lives`;
    throw refuse(`--resume ${resume}: nightly ${resume} is still running (${where})`);
  }
  if (!RESUMABLE.has(night.status))
    throw refuse(`--resume ${resume}: nightly ${resume} is complete (it ended ${night.status}): only an interrupted or abandoned nightly can be resumed`);
  return night;
}

/** How many times a nightly was resumed before, from its stored summary. */
function timesResumed(summary: unknown): number {
  const n = (summary as { resumed?: unknown } | null)?.resumed;
  return typeof n === 'number' ? n : 0;
}

export interface NightlyRequest {
  /** A suite name (boards/suites/NAME.json) or path. */
  suite: string;
  db: string;
  /** Where <suite>/<nightly id>/ gets report.html, junit.xml and summary.json. */
  outDir: string;
  /** The nightly to compare with, instead of the suite's last passed one. */
  baseline?: number | undefined;
  /** Continue this interrupted or abandoned nightly (`newest`: the suite's newest one) instead of starting one. */
  resume?: number | 'newest' | undefined;
  lab?: string | undefined;
  buildDir: string;
  wait: boolean;
  /** The lab's queue (redis://…): every entry's cases go to its workers of the entry's board kind. */
  queue?: string | undefined;
  queueWaitMs?: number | undefined;
}

/** What `summary.json` holds. */
export interface NightlySummary {
  nightly: number;
  suite: string;
  status: NightlyEnd;
  baseline: number | null;
  /** The cases the suite planned, and how many of them have no row (a night cut short by a signal). */
  planned: number;
  notRun: number;
  /** How many times the night was resumed (`rig nightly --resume`); 0 when it ran in one go. */
  resumed: number;
  runs: number[];
  counts: Record<Verdict, number>;
  /** The rule latencies were judged by. */
  rule: string;
  files: { report: string; junit: string; summary: string };
  cases: RowComparison[];
}

/**
 * Runs the suite, stores one run per entry under one nightly id, compares, and writes the night's
 * files. Resuming, it runs under the resumed night's id only the cases that have no stored row,
 * against that night's baseline, and judges all of its rows.
 */
export async function runNightly(request: NightlyRequest, signal: AbortSignal): Promise<NightlySummary> {
  if (request.resume !== undefined && request.baseline !== undefined)
    throw new UserError('--resume continues a nightly against its own baseline: give --resume or --baseline, not both', { exitCode: 2 });
  const suite = await loadSuite(request.suite);
  const prepared = await planSuite(suite, request.lab);
  signal.throwIfAborted();
  // Nothing to resume in a database that does not exist; opening it would create it.
  if (request.resume !== undefined && !existsSync(request.db))
    throw new UserError(`--resume${request.resume === 'newest' ? '' : ` ${request.resume}`}: there is no results database at ${request.db}`, { exitCode: 2 });
  const store = new Store(request.db);
  try {
    const planned = prepared.reduce((n, p) => n + p.plans.length, 0);
    const suiteKeys = prepared.flatMap((p) => p.plans.map((plan) => planCaseKey(p, plan, suite.seed)));
    const inSuite = new Set(suiteKeys);
    let nightlyId: number;
    let baselineId: number | null;
    let todo: PreparedEntry[];
    // A resumed night's rows stored before this process, of the suite's current cases.
    let earlier: ResultRow[] = [];
    let resumed = 0;
    if (request.resume === undefined) {
      if (request.baseline !== undefined) {
        const given = store.nightly(request.baseline);
        if (given === undefined || given.suite !== suite.name) {
          throw new UserError(
            `--baseline ${request.baseline}: expected a nightly run of suite ${suite.name} in ${request.db}, found ${given === undefined ? 'none' : `one of suite ${given.suite}`}`,
            { exitCode: 2 },
          );
        }
        baselineId = given.id;
      } else baselineId = store.nightlies({ suite: suite.name, status: 'passed', limit: 1 })[0]?.id ?? null;
      nightlyId = store.startNightly(suite.name, baselineId);
      todo = prepared;
      progress(
        `Nightly ${nightlyId} of suite ${suite.name}: ${planned} cases on ${prepared.length} board entries; ${baselineId === null ? 'no earlier good night to compare with' : `compared with nightly ${baselineId}`}`,
      );
    } else {
      const night = resumable(store, suite.name, request.resume, request.db);
      const stored = store.rows({ runIds: store.runs({ nightlyId: night.id }).map((r) => r.id) });
      const left = remainingCases(prepared, stored, suite.seed);
      nightlyId = night.id;
      baselineId = night.baselineId;
      resumed = timesResumed(night.summary) + 1;
      // Until it ends, the night's stored summary says only that it was resumed (and how often).
      if (!store.resumeNightly(nightlyId, { resumed }))
        throw new UserError(`--resume: nightly ${nightlyId} was resumed by another process first`, { exitCode: 2 });
      earlier = stored.filter((r) => inSuite.has(caseKey(r)));
      todo = left.entries;
      progress(
        `Resuming nightly ${nightlyId} of suite ${suite.name} (${night.status}): ${planned - left.done} of ${planned} cases left; ${baselineId === null ? 'no earlier good night to compare with' : `compared with nightly ${baselineId}`}`,
      );
      if (left.gone > 0)
        progress(
          `${left.gone} case${left.gone === 1 ? '' : 's'} stored by nightly ${nightlyId} ${left.gone === 1 ? 'is' : 'are'} no longer in ${suite.file}: the night is judged on the suite's current ${planned} cases only`,
        );
    }

    const current: ResultRow[] = [];
    // Set when a signal stops the night: what ran is still compared and written, then it is rethrown.
    let interruption: unknown;
    try {
      for (const [i, p] of todo.entries()) {
        // Resumed, an entry whose cases all have rows runs nothing.
        if (p.plans.length === 0) continue;
        const settings: SessionSettings = {
          seed: suite.seed,
          warmup: suite.warmup,
          runs: suite.runs,
          timeoutMs: suite.timeoutMs,
          kernels: p.kernels,
          buildDir: request.buildDir,
          wait: request.wait,
          args: { suite: suite.name, entry: suite.entries[i] },
          nightlyId,
        };
        let rows: ResultRow[];
        try {
          rows =
            request.queue === undefined
              ? (await runSession(store, await openRunner(p.choice), p.plans, settings, signal)).rows
              : (await dispatchRun(store, await queuedEntry(request.queue, request.queueWaitMs, p, settings), signal)).rows;
        } catch (error) {
          // A board that is not attached, or locked by another process with --no-wait.
          if (signal.aborted || !(error instanceof UserError)) throw error;
          progress(`${p.choice.board.id}: ${errorMessage(error)}; its ${p.plans.length} cases fail`);
          rows = recordUnreachable(store, p.choice, p.plans, settings, error).rows;
        }
        current.push(...rows);
      }
    } catch (error) {
      if (!signal.aborted) {
        store.finishNightly(nightlyId, 'failed', { error: errorMessage(error), resumed });
        throw error;
      }
      interruption = signal.reason;
    }
    const interrupted = interruption !== undefined;
    // Cut short, the night's rows are what its runs stored, the interrupted session's too. Only the
    // suite's current cases are judged (a resumed night's earlier rows may name others).
    const ran = (interrupted ? store.rows({ runIds: store.runs({ nightlyId }).map((r) => r.id) }) : [...earlier, ...current]).filter((r) =>
      inSuite.has(caseKey(r)),
    );

    const baselineRows = baselineId === null ? [] : store.rows({ runIds: store.runs({ nightlyId: baselineId }).map((r) => r.id) });
    const options = { cyclesThreshold: suite.cyclesThreshold };
    // A case the night did not reach is not judged: the summary counts it as not run.
    const compared = compareRows(baselineRows, ran, options);
    const comparisons = interrupted ? compared.filter((c) => c.verdict !== 'missing') : compared;
    const ranKeys = new Set(ran.map(caseKey));
    const notRun = suiteKeys.filter((k) => !ranKeys.has(k)).length;
    const status: NightlyEnd = interrupted ? 'interrupted' : nightlyStatus(comparisons);
    const dir = join(request.outDir, suite.name, String(nightlyId));
    mkdirSync(dir, { recursive: true });
    const files = { report: join(dir, 'report.html'), junit: join(dir, 'junit.xml'), summary: join(dir, 'summary.json') };
    const endedAt = new Date().toISOString();
    const summary: NightlySummary = {
      nightly: nightlyId,
      suite: suite.name,
      status,
      baseline: baselineId,
      planned,
      notRun,
      resumed,
      runs: store
        .runs({ nightlyId })
        .map((r) => r.id)
        .reverse(),
      counts: tally(comparisons),
      rule: latencyRule(options),
      files,
      cases: comparisons,
    };
    // The store keeps what changed (for the report's at-a-glance table), not every unchanged case.
    const changes = comparisons
      .filter((c) => c.verdict !== 'same')
      .map(({ model, schedule, kernels, board, runner, verdict, reasons }) => ({ model, schedule, kernels, board, runner, verdict, reasons }));
    store.finishNightly(nightlyId, status, { ...summary, cases: undefined, changes }, endedAt);
    writeFileSync(files.junit, junitXml(suite.name, comparisons, endedAt));
    writeFileSync(files.summary, JSON.stringify(summary, null, 2) + '\n');
    await writeReport(store, { nightlyId }, files.report);
    if (interrupted) {
      progress(`Nightly ${nightlyId} interrupted after ${planned - notRun} of ${planned} cases: ${Object.values(files).join(', ')}`);
      throw interruption;
    }
    return summary;
  } finally {
    store.close();
  }
}
