// rig nightly: run a suite's matrix of boards × models × schedules, compare it case by case with
// the suite's last good night, and leave a report, JUnit XML and a JSON summary. A board that is
// missing or hangs fails its own rows; the night goes on.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planFor } from '../bench/bench.js';
import { openRunner, recordUnreachable, runSession, type BoardChoice, type SessionSettings } from '../bench/session.js';
import { describeArenaRams } from '../compile/firmware.js';
import { resolveLabBoard } from '../config/lab.js';
import { loadModel } from '../config/model.js';
import { loadSuite, type Suite } from '../config/suite.js';
import { compareRows, FAILING_VERDICTS, latencyRule, tally, type RowComparison } from '../results/compare.js';
import { junitXml } from '../results/junit.js';
import { writeReport } from '../report/write.js';
import type { Plan } from '../schedule/plan.js';
import { Store, type NightlyStatus, type ResultRow } from '../store/db.js';
import { errorMessage, UserError } from '../util/errors.js';
import { progress } from '../util/log.js';
import { RESULTS_DIR } from '../util/paths.js';
import { expandModels, withInterrupt } from './bench.js';
import { printComparison } from './results.js';
import { outputFormat } from './table.js';

export const NIGHTLY_DIR = join(RESULTS_DIR, 'nightly');

export interface NightlyArgs {
  suite: string;
  db: string;
  outDir: string;
  baseline?: number | undefined;
  lab?: string | undefined;
  buildDir: string;
  wait: boolean;
  json?: boolean | undefined;
  csv?: boolean | undefined;
}

interface PreparedEntry {
  choice: BoardChoice;
  plans: Plan[];
}

/** Every entry's board, models and plans, before anything runs: bad input stores nothing. */
async function prepare(suite: Suite, lab: string | undefined): Promise<PreparedEntry[]> {
  return Promise.all(
    suite.entries.map(async (e, i) => {
      const at = (field: string) => (error: unknown) => {
        throw new UserError(`${suite.file}: entries[${i}].${field}: ${errorMessage(error)}`, { exitCode: 2 });
      };
      const { board, entry } = await resolveLabBoard(e.board, lab).catch(at('board'));
      const models = await Promise.all(expandModels(e.models).map((m) => loadModel(m, suite.seed))).catch(at('models'));
      let plans: Plan[];
      try {
        plans = models.flatMap((model) => e.schedules.map((schedule) => planFor(schedule === 'layer' ? { model, schedule } : { model, schedule, patches: e.patches, split: e.split })));
      } catch (error) {
        return at('schedules')(error);
      }
      if (e.arenaRam !== undefined && !(e.arenaRam in board.arenaRams)) {
        at('arenaRam')(new UserError(`expected one of ${describeArenaRams(board)} (${board.file}, memory.arenaRam), found "${e.arenaRam}"`));
      }
      return { choice: { board, entry, emulate: e.emulate, variant: e.variant, probe: e.probe, port: e.port, arenaRam: e.arenaRam }, plans };
    }),
  );
}

function nightlyStatus(comparisons: readonly RowComparison[]): Exclude<NightlyStatus, 'running' | 'interrupted'> {
  if (comparisons.some((c) => c.verdict === 'failed' || c.verdict === 'missing')) return 'failed';
  if (comparisons.some((c) => c.verdict === 'regressed')) return 'regressed';
  return 'passed';
}

export async function nightlyCommand(args: NightlyArgs): Promise<number> {
  const format = outputFormat(args);
  const suite = await loadSuite(args.suite);
  const prepared = await prepare(suite, args.lab);
  const store = new Store(args.db);
  try {
    let baselineId: number | null;
    if (args.baseline !== undefined) {
      const given = store.nightly(args.baseline);
      if (given === undefined || given.suite !== suite.name) {
        throw new UserError(`--baseline ${args.baseline}: expected a nightly run of suite ${suite.name} in ${args.db}, found ${given === undefined ? 'none' : `one of suite ${given.suite}`}`, { exitCode: 2 });
      }
      baselineId = given.id;
    } else baselineId = store.nightlies({ suite: suite.name, status: 'passed', limit: 1 })[0]?.id ?? null;
    const nightlyId = store.startNightly(suite.name, baselineId);
    progress(`Nightly ${nightlyId} of suite ${suite.name}: ${prepared.reduce((n, p) => n + p.plans.length, 0)} cases on ${prepared.length} board entries; ${baselineId === null ? 'no earlier good night to compare with' : `compared with nightly ${baselineId}`}`);

    const current: ResultRow[] = [];
    try {
      await withInterrupt(async (signal) => {
        for (const [i, p] of prepared.entries()) {
          const settings: SessionSettings = { seed: suite.seed, warmup: suite.warmup, runs: suite.runs, timeoutMs: suite.timeoutMs, buildDir: args.buildDir, wait: args.wait, args: { suite: suite.name, entry: suite.entries[i] }, nightlyId };
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
      });
    } catch (error) {
      store.finishNightly(nightlyId, error instanceof UserError && error.exitCode === 130 ? 'interrupted' : 'failed', { error: errorMessage(error) });
      throw error;
    }

    const baselineRows = baselineId === null ? [] : store.rows({ runIds: store.runs({ nightlyId: baselineId }).map((r) => r.id) });
    const options = { cyclesThreshold: suite.cyclesThreshold };
    const comparisons = compareRows(baselineRows, current, options);
    const status = nightlyStatus(comparisons);
    const dir = join(args.outDir, suite.name, String(nightlyId));
    mkdirSync(dir, { recursive: true });
    const files = { report: join(dir, 'report.html'), junit: join(dir, 'junit.xml'), summary: join(dir, 'summary.json') };
    const endedAt = new Date().toISOString();
    const summary = {
      nightly: nightlyId,
      suite: suite.name,
      status,
      baseline: baselineId,
      runs: store.runs({ nightlyId }).map((r) => r.id).reverse(),
      counts: tally(comparisons),
      rule: latencyRule(options),
      files,
      cases: comparisons,
    };
    // The store keeps what changed (for the report's at-a-glance table), not every unchanged case.
    const changes = comparisons.filter((c) => c.verdict !== 'same').map(({ model, schedule, board, runner, verdict, reasons }) => ({ model, schedule, board, runner, verdict, reasons }));
    store.finishNightly(nightlyId, status, { ...summary, cases: undefined, changes }, endedAt);
    writeFileSync(files.junit, junitXml(suite.name, comparisons, endedAt));
    writeFileSync(files.summary, JSON.stringify(summary, null, 2) + '\n');
    await writeReport(store, { nightlyId }, files.report);

    printComparison(format, comparisons, summary, summary.rule);
    const failing = comparisons.filter((c) => FAILING_VERDICTS.has(c.verdict)).length;
    progress(`Nightly ${nightlyId} ${status}${failing > 0 ? ` (${failing} of ${comparisons.length} cases)` : ''}: ${Object.values(files).join(', ')}`);
    return status === 'passed' ? 0 : 1;
  } finally {
    store.close();
  }
}
