// rig results and rig compare: what the store holds, and what changed between two runs.
import { changePercent, compareRows, DEFAULT_CYCLES_THRESHOLD, FAILING_VERDICTS, latencyRule, tally, type Change, type RowComparison } from '../results/compare.js';
import { scheduleLabel } from '../schedule/plan.js';
import { Store, type ResultRow, type ResultStatus, type RunnerKind } from '../store/db.js';
import { UserError } from '../util/errors.js';
import { unitLabel } from '../util/units.js';
import { progress } from '../util/log.js';
import { outputFormat, printListing, type Cell } from './table.js';

interface Exports {
  json?: boolean | undefined;
  csv?: boolean | undefined;
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new UserError(`--limit: expected a whole number of at least 1, found ${limit}`, { exitCode: 2 });
}

export interface ResultsArgs extends Exports {
  db: string;
  run?: number[] | undefined;
  board?: string | undefined;
  model?: string | undefined;
  schedule?: string | undefined;
  runner?: RunnerKind | undefined;
  status?: ResultStatus | undefined;
  limit: number;
  runs: boolean;
}

/** A result row's columns, for `rig results` and `rig bench --csv`. */
export const RESULT_HEADERS = ['run', 'model', 'schedule', 'board', 'runner', 'status', 'latency unit', 'median', 'min', 'max', 'arena planned B', 'arena measured B', 'flash B', 'MACs', 'detail'];

export function resultCells(r: ResultRow): Cell[] {
  return [
    r.runId,
    r.model,
    scheduleLabel(r.schedule, r.scheduleOptions),
    r.board,
    r.runner,
    r.status,
    r.latency === null ? null : unitLabel(r.latency.unit),
    r.latency?.median ?? null,
    r.latency?.min ?? null,
    r.latency?.max ?? null,
    r.memory.plannedArenaBytes,
    r.memory.measuredArenaBytes,
    r.memory.flashBytes,
    r.macs,
    r.detail,
  ];
}

export function resultsCommand(args: ResultsArgs): number {
  const format = outputFormat(args);
  checkLimit(args.limit);
  const store = Store.existing(args.db);
  try {
    if (args.runs) {
      const runs = store.runs({ board: args.board, runner: args.runner, limit: args.limit });
      const counts = (id: number) => {
        const rows = store.rows({ runIds: [id] });
        return [rows.filter((r) => r.status === 'ok').length, rows.length];
      };
      const cells = runs.map((r) => [r.id, r.startedAt, r.endedAt, r.status, r.board, r.runner, ...counts(r.id), r.nightlyId === null ? null : (store.nightly(r.nightlyId)?.suite ?? null), r.gitRevision, r.host]);
      printListing(format, ['run', 'started', 'ended', 'status', 'board', 'runner', 'ok rows', 'rows', 'nightly suite', 'git revision', 'host'], cells, runs);
      return 0;
    }
    for (const id of args.run ?? []) if (store.run(id) === undefined) throw new UserError(`No run ${id} in ${args.db} (rig results --runs lists them)`, { exitCode: 2 });
    const rows = store.rows({ runIds: args.run, board: args.board, model: args.model, schedule: args.schedule, runner: args.runner, status: args.status, limit: args.limit });
    if (rows.length === 0 && format === 'text') progress(`No result rows in ${args.db} match; rig bench stores some`);
    printListing(format, ['id', 'created', ...RESULT_HEADERS], rows.map((r) => [r.id, r.createdAt, ...resultCells(r)]), rows);
    return 0;
  } finally {
    store.close();
  }
}

const COMPARE_HEADERS = ['model', 'schedule', 'board', 'runner', 'status before', 'status now', 'latency unit', 'median before', 'median now', 'median change', 'arena before B', 'arena now B', 'arena change B', 'flash change B', 'MACs change', 'verdict', 'why'];

const delta = (c: Change) => (c.baseline === null || c.current === null ? null : c.current - c.baseline);

export function comparisonCells(c: RowComparison): Cell[] {
  return [
    c.model,
    c.schedule,
    c.board,
    c.runner,
    c.status.baseline,
    c.status.current,
    c.latencyUnit === null ? null : unitLabel(c.latencyUnit),
    c.latency.baseline,
    c.latency.current,
    changePercent(c.latency),
    c.arena.baseline,
    c.arena.current,
    delta(c.arena),
    delta(c.flash),
    delta(c.macs),
    c.verdict,
    c.reasons.join('; '),
  ];
}

/** The case-by-case comparison in the chosen format, with the rule latencies were judged by. */
export function printComparison(format: ReturnType<typeof outputFormat>, comparisons: readonly RowComparison[], json: unknown, rule: string): void {
  printListing(format, COMPARE_HEADERS, comparisons.map(comparisonCells), json);
  if (format === 'text') {
    const counts = tally(comparisons);
    process.stdout.write(`${Object.entries(counts).filter(([, n]) => n > 0).map(([v, n]) => `${n} ${v}`).join(', ') || 'no cases'}\n(${rule}; arena is the measured one, else the planned)\n`);
  }
}

export interface CompareArgs extends Exports {
  db: string;
  baseline: number;
  current: number;
  threshold: number;
}

/** Exit status 1 when a case regressed, failed or went missing, like diff's "differences found". */
export function compareCommand(args: CompareArgs): number {
  const format = outputFormat(args);
  if (!(args.threshold >= 0 && args.threshold <= 100)) throw new UserError(`--threshold: expected a percentage from 0 to 100, found ${args.threshold}`, { exitCode: 2 });
  const store = Store.existing(args.db);
  try {
    for (const id of [args.baseline, args.current]) {
      if (!Number.isInteger(id) || store.run(id) === undefined) throw new UserError(`No run ${id} in ${args.db} (rig results --runs lists them)`, { exitCode: 2 });
    }
    const options = { cyclesThreshold: args.threshold / 100 };
    const comparisons = compareRows(store.results(args.baseline), store.results(args.current), options);
    const rule = latencyRule(options);
    printComparison(format, comparisons, { baseline: args.baseline, current: args.current, rule, counts: tally(comparisons), cases: comparisons }, rule);
    return comparisons.some((c) => FAILING_VERDICTS.has(c.verdict)) ? 1 : 0;
  } finally {
    store.close();
  }
}

export const DEFAULT_THRESHOLD_PERCENT = DEFAULT_CYCLES_THRESHOLD * 100;
