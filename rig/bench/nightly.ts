// A nightly run below the command line: a suite's matrix of boards × models × schedules, compared
// case by case with the suite's last good night, leaving a report, JUnit XML and a JSON summary.
// A board that is missing or hangs fails its own rows; the night goes on. A night stopped by a
// signal (Ctrl-C, SIGTERM, SIGHUP) is marked interrupted and still writes its files for what ran.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeArenaRams } from '../compile/firmware.js';
import { checkKernels } from '../compile/kernels.js';
import { resolveLabBoard } from '../config/lab.js';
import { loadModel } from '../config/model.js';
import { loadSuite, type Suite, type SuiteEntry } from '../config/suite.js';
import { writeReport } from '../report/write.js';
import { compareRows, latencyRule, tally, type RowComparison, type Verdict } from '../results/compare.js';
import { junitXml } from '../results/junit.js';
import type { ResultRow } from '../results/row.js';
import { defaultSchedules, type Plan } from '../schedule/plan.js';
import { PlanRefusal, type PlanField } from '../schedule/refusal.js';
import { Store, type NightlyStatus } from '../store/db.js';
import { errorMessage, UserError } from '../util/errors.js';
import { progress } from '../util/log.js';
import { planFor } from './bench.js';
import { caseOptions, expandModels } from './run.js';
import { openRunner, recordUnreachable, runSession, type BoardChoice, type SessionSettings } from './session.js';

export interface PreparedEntry {
  choice: BoardChoice;
  plans: Plan[];
  /** The kernel variant, checked against the folders. */
  kernels: string;
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
      const models = await Promise.all(expandModels(e.models).map((m) => loadModel(m, suite.seed))).catch(at('models'));
      let plans: Plan[];
      try {
        plans = models.flatMap((model) => (e.schedules ?? defaultSchedules(model)).map((schedule) => planFor(caseOptions(model, schedule, e))));
      } catch (error) {
        return at(error instanceof PlanRefusal ? ENTRY_FIELD[error.field] : 'schedules')(error);
      }
      if (e.arenaRam !== undefined && !(e.arenaRam in board.arenaRams)) {
        at('arenaRam')(new UserError(`expected one of ${describeArenaRams(board)} (${board.file}, memory.arenaRam), found "${e.arenaRam}"`));
      }
      return { choice: { board, entry, emulate: e.emulate, variant: e.variant, probe: e.probe, port: e.port, arenaRam: e.arenaRam }, plans, kernels };
    }),
  );
}

export type NightlyOutcome = Exclude<NightlyStatus, 'running' | 'interrupted' | 'abandoned'>;
/** How a night that wrote its files ended: judged, or cut short by a signal (what ran is judged). */
export type NightlyEnd = NightlyOutcome | 'interrupted';

function nightlyStatus(comparisons: readonly RowComparison[]): NightlyOutcome {
  if (comparisons.some((c) => c.verdict === 'failed' || c.verdict === 'missing')) return 'failed';
  if (comparisons.some((c) => c.verdict === 'regressed')) return 'regressed';
  return 'passed';
}

export interface NightlyRequest {
  /** A suite name (boards/suites/NAME.json) or path. */
  suite: string;
  db: string;
  /** Where <suite>/<nightly id>/ gets report.html, junit.xml and summary.json. */
  outDir: string;
  /** The nightly to compare with, instead of the suite's last passed one. */
  baseline?: number | undefined;
  lab?: string | undefined;
  buildDir: string;
  wait: boolean;
}

/** What `summary.json` holds. */
export interface NightlySummary {
  nightly: number;
  suite: string;
  status: NightlyEnd;
  baseline: number | null;
  /** The cases the suite planned, and how many of them did not run (a night cut short by a signal). */
  planned: number;
  notRun: number;
  runs: number[];
  counts: Record<Verdict, number>;
  /** The rule latencies were judged by. */
  rule: string;
  files: { report: string; junit: string; summary: string };
  cases: RowComparison[];
}

/** Runs the suite, stores one run per entry under one nightly id, compares, and writes the night's files. */
export async function runNightly(request: NightlyRequest, signal: AbortSignal): Promise<NightlySummary> {
  const suite = await loadSuite(request.suite);
  const prepared = await planSuite(suite, request.lab);
  signal.throwIfAborted();
  const store = new Store(request.db);
  try {
    let baselineId: number | null;
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
    const nightlyId = store.startNightly(suite.name, baselineId);
    progress(
      `Nightly ${nightlyId} of suite ${suite.name}: ${prepared.reduce((n, p) => n + p.plans.length, 0)} cases on ${prepared.length} board entries; ${baselineId === null ? 'no earlier good night to compare with' : `compared with nightly ${baselineId}`}`,
    );

    const current: ResultRow[] = [];
    // Set when a signal stops the night: what ran is still compared and written, then it is rethrown.
    let interruption: unknown;
    try {
      for (const [i, p] of prepared.entries()) {
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
          rows = (await runSession(store, await openRunner(p.choice), p.plans, settings, signal)).rows;
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
        store.finishNightly(nightlyId, 'failed', { error: errorMessage(error) });
        throw error;
      }
      interruption = signal.reason;
    }
    const interrupted = interruption !== undefined;
    // Cut short, the night's rows are what its runs stored, the interrupted session's too.
    const ran = interrupted ? store.rows({ runIds: store.runs({ nightlyId }).map((r) => r.id) }) : current;

    const baselineRows = baselineId === null ? [] : store.rows({ runIds: store.runs({ nightlyId: baselineId }).map((r) => r.id) });
    const options = { cyclesThreshold: suite.cyclesThreshold };
    // A case the night did not reach is not judged: the summary counts it as not run.
    const compared = compareRows(baselineRows, ran, options);
    const comparisons = interrupted ? compared.filter((c) => c.verdict !== 'missing') : compared;
    const planned = prepared.reduce((n, p) => n + p.plans.length, 0);
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
      notRun: Math.max(0, planned - ran.length),
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
      progress(`Nightly ${nightlyId} interrupted after ${ran.length} of ${planned} cases: ${Object.values(files).join(', ')}`);
      throw interruption;
    }
    return summary;
  } finally {
    store.close();
  }
}
