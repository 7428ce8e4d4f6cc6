// What a report shows, collected from the results store: the selected runs and their rows, each
// board's SRAM budget, and the history of every case in the selection.
import { loadBoard } from '../config/board.js';
import { scheduleLabel } from '../schedule/plan.js';
import { kernelsOf } from '../results/compare.js';
import type { LatencyUnit, RunnerKind } from '../results/row.js';
import type { Nightly, Store, StoredResult, StoredRun } from '../store/db.js';
import { errorMessage, UserError } from '../util/errors.js';
import { RUNNER_UNIT } from '../util/units.js';

/** How many nightlies (or stored rows of a case) a trend goes back. */
export const TREND_LENGTH = 30;

export interface ReportSelection {
  runIds?: readonly number[] | undefined;
  nightlyId?: number | undefined;
}

export interface ReportRow extends StoredResult {
  /** `patch 2×2 split 3`, as the terminal tables print it. */
  scheduleLabel: string;
  /** The kernel variant, as the terminal tables print it. */
  kernels: string;
}

/** A board's SRAM budget for the arena charts, or why there is none. */
export type BoardBudget = { id: string; loaded: true; name: string; sramBytes: number; label: string } | { id: string; loaded: false; problem: string };

export interface TrendPoint {
  /** Run id, or nightly id when the trend follows a suite's nightlies. */
  x: number;
  date: string;
  resultId: number;
  status: string;
  latencyMedian: number | null;
  measuredArenaBytes: number | null;
}

/** One case (board, runner, model, schedule and its options, kernel variant) over time. */
export interface Trend {
  board: string;
  runner: RunnerKind;
  model: string;
  scheduleLabel: string;
  unit: LatencyUnit;
  points: TrendPoint[];
}

/** A case of a nightly whose verdict against its baseline was not "same" (rig nightly's summary). */
export interface NightlyChange {
  model: string;
  schedule: string;
  /** Absent in nightlies stored before the variant was part of a case. */
  kernels?: string | undefined;
  board: string;
  runner: string;
  verdict: string;
  reasons: string[];
}

export interface ReportData {
  generatedAt: string;
  database: string;
  selection: {
    /** `runs`: given with --run; `nightly`: a nightly's runs; `newest`: the newest run alone. */
    kind: 'runs' | 'nightly' | 'newest';
    runIds: number[];
    nightly: Nightly | null;
  };
  runs: StoredRun[];
  rows: ReportRow[];
  boards: BoardBudget[];
  trends: { axis: 'run' | 'nightly'; cases: Trend[] };
  /** For a nightly: its cases that changed against its baseline, as rig nightly judged them. */
  changes: { baselineId: number | null; cases: NightlyChange[] } | null;
}

const isChange = (c: unknown): c is NightlyChange => {
  if (c === null || typeof c !== 'object') return false;
  const o = c as Record<string, unknown>;
  return (
    ['model', 'schedule', 'board', 'runner', 'verdict'].every((k) => typeof o[k] === 'string') &&
    Array.isArray(o['reasons']) &&
    o['reasons'].every((r) => typeof r === 'string')
  );
};

/** The changes a finished nightly stored in its summary; null when it stored none (running, interrupted, or older). */
function nightlyChanges(nightly: Nightly | null): ReportData['changes'] {
  const summary = nightly?.summary;
  if (nightly === null || summary === null || typeof summary !== 'object') return null;
  const changes = (summary as Record<string, unknown>)['changes'];
  if (!Array.isArray(changes) || !changes.every(isChange)) return null;
  return { baselineId: nightly.baselineId, cases: changes };
}

const sameOptions = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>) => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
};

const caseKey = (r: Pick<ReportRow, 'board' | 'runner' | 'model' | 'scheduleLabel' | 'kernels'>) =>
  JSON.stringify([r.board, r.runner, r.model, r.scheduleLabel, r.kernels]);

function resolveSelection(store: Store, selection: ReportSelection): { kind: ReportData['selection']['kind']; runs: StoredRun[]; nightly: Nightly | null } {
  const { runIds, nightlyId } = selection;
  if (runIds !== undefined && runIds.length > 0 && nightlyId !== undefined) {
    throw new UserError('Give --run or --nightly, not both', { exitCode: 2 });
  }
  const newest = store.runs({ limit: 1 })[0];
  if (newest === undefined) throw new UserError(`No runs in ${store.path}: run \`rig bench\` first`);
  const range = () => `its runs are ${store.runs().at(-1)!.id} to ${newest.id}`;

  if (runIds !== undefined && runIds.length > 0) {
    const ids = [...new Set(runIds)].sort((a, b) => a - b);
    const unknown = ids.filter((id) => store.run(id) === undefined);
    if (unknown.length > 0) {
      throw new UserError(`No run ${unknown.join(', ')} in ${store.path} (${range()})`);
    }
    return { kind: 'runs', runs: ids.map((id) => store.run(id)!), nightly: null };
  }
  if (nightlyId !== undefined) {
    const nightly = store.nightly(nightlyId);
    if (nightly === undefined) {
      const known = store.nightlies({ limit: 1 })[0];
      throw new UserError(`No nightly ${nightlyId} in ${store.path} (${known === undefined ? 'it has none' : `the newest is ${known.id}`})`);
    }
    const runs = store.runs({ nightlyId }).reverse();
    if (runs.length === 0) throw new UserError(`Nightly ${nightlyId} (suite ${nightly.suite}) has no runs in ${store.path}`);
    return { kind: 'nightly', runs, nightly };
  }
  // The newest run, or the whole nightly it belongs to.
  if (newest.nightlyId !== null) {
    const nightly = store.nightly(newest.nightlyId);
    if (nightly !== undefined) return { kind: 'nightly', runs: store.runs({ nightlyId: nightly.id }).reverse(), nightly };
  }
  return { kind: 'newest', runs: [newest], nightly: null };
}

async function boardBudget(id: string): Promise<BoardBudget> {
  try {
    const board = await loadBoard(id);
    return { id, loaded: true, name: board.name, sramBytes: board.sramBytes, label: `${board.id.toUpperCase()} SRAM ${formatKiB(board.sramBytes)}` };
  } catch (error) {
    return { id, loaded: false, problem: errorMessage(error) };
  }
}

function formatKiB(bytes: number): string {
  const kib = bytes / 1024;
  return Number.isInteger(kib) ? `${kib} KB` : `${bytes} B`;
}

const withLabel = (r: StoredResult): ReportRow => ({ ...r, scheduleLabel: scheduleLabel(r.schedule, r.scheduleOptions), kernels: kernelsOf(r) });

const point = (x: number, date: string, r: ReportRow, unit: LatencyUnit): TrendPoint => ({
  x,
  date,
  resultId: r.id,
  status: r.status,
  latencyMedian: r.latency !== null && r.latency.unit === unit ? r.latency.median : null,
  measuredArenaBytes: r.memory.measuredArenaBytes,
});

/** Each case's row in each of the suite's last nightlies up to the selected one. */
function nightlyTrends(store: Store, nightly: Nightly, cases: readonly ReportRow[]): Trend[] {
  // In the order they started (store.nightlies): a merged store's ids do not follow it.
  const suite = store.nightlies({ suite: nightly.suite });
  const at = Math.max(
    0,
    suite.findIndex((n) => n.id === nightly.id),
  );
  const nightlies = suite.slice(at, at + TREND_LENGTH).reverse();
  const rowsOf = nightlies.map((n) => ({ nightly: n, rows: store.rows({ runIds: store.runs({ nightlyId: n.id }).map((r) => r.id) }).map(withLabel) }));
  return cases.map((c) => {
    const unit = RUNNER_UNIT[c.runner];
    const points = rowsOf.flatMap(({ nightly: n, rows }) => {
      const row = rows.filter((r) => caseKey(r) === caseKey(c) && sameOptions(r.scheduleOptions, c.scheduleOptions)).at(-1);
      return row === undefined ? [] : [point(n.id, n.startedAt, row, unit)];
    });
    return { board: c.board, runner: c.runner, model: c.model, scheduleLabel: c.scheduleLabel, unit, points };
  });
}

/** Each case's stored rows up to the newest selected run, one per run, the last TREND_LENGTH. */
function rowTrends(store: Store, lastRunId: number, cases: readonly ReportRow[]): Trend[] {
  return cases.map((c) => {
    const unit = RUNNER_UNIT[c.runner];
    const byRun = new Map<number, ReportRow>();
    for (const r of store.rows({ board: c.board, runner: c.runner, model: c.model, schedule: c.schedule })) {
      if (r.runId <= lastRunId && sameOptions(r.scheduleOptions, c.scheduleOptions) && kernelsOf(r) === c.kernels) byRun.set(r.runId, withLabel(r));
    }
    const points = [...byRun.values()].slice(-TREND_LENGTH).map((r) => point(r.runId, r.createdAt, r, unit));
    return { board: c.board, runner: c.runner, model: c.model, scheduleLabel: c.scheduleLabel, unit, points };
  });
}

/** Everything the page shows, read from the store; a selection naming nothing stored is a UserError. */
export async function collectReport(store: Store, selection: ReportSelection, now = new Date()): Promise<ReportData> {
  const { kind, runs, nightly } = resolveSelection(store, selection);
  const runIds = runs.map((r) => r.id);
  const rows = store.rows({ runIds }).map(withLabel);
  const boardIds = [...new Set([...runs.map((r) => r.board), ...rows.map((r) => r.board)])].sort();
  const boards = await Promise.all(boardIds.map(boardBudget));
  // One trend per distinct case, in the order the cases first appear.
  const cases = [...new Map(rows.map((r) => [caseKey(r), r])).values()];
  const trends = nightly !== null ? nightlyTrends(store, nightly, cases) : rowTrends(store, Math.max(...runIds), cases);
  return {
    generatedAt: now.toISOString(),
    database: store.path,
    selection: { kind, runIds, nightly },
    runs,
    rows,
    boards,
    trends: { axis: nightly !== null ? 'nightly' : 'run', cases: trends },
    changes: nightlyChanges(nightly),
  };
}
