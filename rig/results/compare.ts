// Two sets of result rows, case by case: what changed, and whether it is a regression.
// Emulated instruction counts are deterministic, so any change of them is real; silicon cycles
// vary between runs, so they count as changed only beyond a threshold and outside the baseline's
// spread. Memory, flash and MACs are deterministic on both.
import { REFERENCE_KERNELS } from '../compile/kernels.js';
import { scheduleLabel } from '../schedule/plan.js';
import type { LatencyUnit, ResultRow, ResultStatus } from './row.js';

export type Verdict = 'same' | 'improved' | 'regressed' | 'failed' | 'new' | 'missing';

export interface Change {
  baseline: number | null;
  current: number | null;
}

export interface RowComparison {
  /** model / schedule label / kernel variant / board / runner / seed: what makes two rows the same case. */
  key: string;
  model: string;
  schedule: string;
  /** The kernel variant: a reference row is never compared with another variant's. */
  kernels: string;
  board: string;
  runner: string;
  status: { baseline: ResultStatus | null; current: ResultStatus | null };
  latencyUnit: LatencyUnit | null;
  latency: Change;
  arena: Change;
  flash: Change;
  macs: Change;
  verdict: Verdict;
  /** Why the verdict, one phrase per reason (empty when the same). */
  reasons: string[];
}

export interface CompareOptions {
  /** Silicon cycles: the least relative change of the median that counts (0.02 = 2%). */
  cyclesThreshold: number;
}

/** The rule latencies of each unit are compared by, for tables and reports. */
export function latencyRule(options: CompareOptions): string {
  return `instructions (emulated) are deterministic: any change counts; cycles (silicon) count when the median moves more than ${(options.cyclesThreshold * 100).toFixed(1)}% and the min–max ranges of the two runs do not overlap`;
}

/**
 * A row's kernel variant. Rows stored before every row carried it have none where nothing was
 * built (does-not-fit, build-error); only the reference kernels existed then.
 */
export const kernelsOf = (row: Pick<ResultRow, 'kernelVariant'>): string => row.kernelVariant ?? REFERENCE_KERNELS;

/** What names a case: a stored row, or the case a plan will store. */
export type CaseFields = Pick<ResultRow, 'model' | 'schedule' | 'scheduleOptions' | 'kernelVariant' | 'board' | 'runner' | 'seed'>;

export function caseKey(row: CaseFields): string {
  return [row.model, scheduleLabel(row.schedule, row.scheduleOptions), `kernels ${kernelsOf(row)}`, row.board, row.runner, `seed ${row.seed}`].join(' / ');
}

/** Arena the device measured, or the planned one when the row has no measurement. */
const arenaOf = (row: ResultRow) => row.memory.measuredArenaBytes ?? row.memory.plannedArenaBytes;

/** +1 worse, -1 better, 0 the same, for a deterministic count (larger is worse). */
function exact(change: Change): number {
  if (change.baseline === null || change.current === null) return 0;
  return Math.sign(change.current - change.baseline);
}

function latencyDirection(base: ResultRow, current: ResultRow, options: CompareOptions): number {
  const a = base.latency;
  const b = current.latency;
  if (a === null || b === null || a.unit !== b.unit) return 0;
  if (a.unit === 'instructions') return Math.sign(b.median - a.median);
  const moved = Math.abs(b.median - a.median) > options.cyclesThreshold * a.median;
  if (!moved) return 0;
  if (b.min > a.max) return 1;
  if (b.max < a.min) return -1;
  return 0;
}

const grouped = (n: number | null) => (n === null ? '-' : n.toLocaleString('en-US'));

/** The relative change in percent, signed, "+0.10%"; null when either side is missing or zero. */
export function changePercent(change: Change): string | null {
  if (change.baseline === null || change.current === null || change.baseline === 0) return null;
  const d = ((change.current - change.baseline) / change.baseline) * 100;
  return `${d > 0 ? '+' : ''}${d.toFixed(2)}%`;
}

function compareCase(base: ResultRow | undefined, current: ResultRow | undefined, options: CompareOptions): RowComparison {
  const any = (current ?? base)!;
  const value = (f: (r: ResultRow) => number | null): Change => ({ baseline: base === undefined ? null : f(base), current: current === undefined ? null : f(current) });
  const unit = current?.latency?.unit ?? base?.latency?.unit ?? null;
  const cmp: RowComparison = {
    key: caseKey(any),
    model: any.model,
    schedule: scheduleLabel(any.schedule, any.scheduleOptions),
    kernels: kernelsOf(any),
    board: any.board,
    runner: any.runner,
    status: { baseline: base?.status ?? null, current: current?.status ?? null },
    latencyUnit: unit,
    latency: value((r) => r.latency?.median ?? null),
    arena: value(arenaOf),
    flash: value((r) => r.memory.flashBytes),
    macs: value((r) => r.macs),
    verdict: 'same',
    reasons: [],
  };
  if (current === undefined) return { ...cmp, verdict: 'missing', reasons: ['the case did not run'] };
  const failing = current.status !== 'ok' && !(current.status === 'does-not-fit' && base?.status === 'does-not-fit');
  if (failing) {
    const was = base === undefined ? '' : ` (was ${base.status})`;
    return { ...cmp, verdict: 'failed', reasons: [`status ${current.status}${was}${current.detail === null ? '' : `: ${current.detail}`}`] };
  }
  if (base === undefined) return { ...cmp, verdict: 'new' };
  if (base.status !== 'ok') return { ...cmp, verdict: current.status === 'ok' ? 'improved' : 'same', reasons: current.status === 'ok' ? [`status ok (was ${base.status})`] : [] };

  const worse: string[] = [];
  const better: string[] = [];
  const judge = (direction: number, what: string, change: Change) => {
    const percent = changePercent(change);
    const text = `${what} ${grouped(change.baseline)} → ${grouped(change.current)}${percent === null ? '' : ` (${percent})`}`;
    if (direction > 0) worse.push(text);
    if (direction < 0) better.push(text);
  };
  if (base.latency !== null && current.latency !== null && base.latency.unit !== current.latency.unit) {
    worse.push(`latency unit ${base.latency.unit} → ${current.latency.unit}: not comparable`);
  } else judge(latencyDirection(base, current, options), `median ${unit ?? 'latency'}`, cmp.latency);
  judge(exact(cmp.arena), 'arena B', cmp.arena);
  judge(exact(cmp.flash), 'flash B', cmp.flash);
  judge(exact(cmp.macs), 'MACs', cmp.macs);
  if (worse.length > 0) return { ...cmp, verdict: 'regressed', reasons: [...worse, ...better] };
  if (better.length > 0) return { ...cmp, verdict: 'improved', reasons: better };
  return cmp;
}

/**
 * Every case of either set, in the order of the current rows then the baseline's missing ones.
 * A case stored twice in one set counts by its last row.
 */
export function compareRows(baseline: readonly ResultRow[], current: readonly ResultRow[], options: CompareOptions): RowComparison[] {
  const byKey = (rows: readonly ResultRow[]) => new Map(rows.map((r) => [caseKey(r), r]));
  const base = byKey(baseline);
  const now = byKey(current);
  const keys = [...new Set([...now.keys(), ...base.keys()])];
  return keys.map((k) => compareCase(base.get(k), now.get(k), options));
}

/** How many cases of each verdict. */
export function tally(comparisons: readonly RowComparison[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { same: 0, improved: 0, regressed: 0, failed: 0, new: 0, missing: 0 };
  for (const c of comparisons) counts[c.verdict] += 1;
  return counts;
}

/** Verdicts that fail a nightly run. */
export const FAILING_VERDICTS: ReadonlySet<Verdict> = new Set(['regressed', 'failed', 'missing']);
