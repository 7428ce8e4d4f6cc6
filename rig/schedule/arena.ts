// Static arena planning: offsets for buffers with known lifetimes. Several orders are tried (by
// size as TFLite Micro's greedy planner does, by first use, by lifetime); in each, a buffer goes
// to the feasible offset that raises the peak least, the lowest on a tie. The best layout wins.
// The live bytes of the busiest step are a lower bound; when a layout reaches it, it is optimal.

export interface Interval {
  readonly sizeBytes: number;
  readonly first: number;
  readonly last: number;
}

export const ARENA_ALIGN = 4;

const alignUp = (v: number) => Math.ceil(v / ARENA_ALIGN) * ARENA_ALIGN;
const alignDown = (v: number) => Math.floor(v / ARENA_ALIGN) * ARENA_ALIGN;

const overlapsInTime = (a: Interval, b: Interval) => a.first <= b.last && b.first <= a.last;

/** Sum of the sizes live at the busiest step. */
export function liveBytesBound(intervals: readonly Interval[]): number {
  const steps = new Set(intervals.flatMap((iv) => [iv.first, iv.last]));
  let bound = 0;
  for (const s of steps) bound = Math.max(bound, intervals.reduce((sum, iv) => (iv.first <= s && s <= iv.last ? sum + iv.sizeBytes : sum), 0));
  return bound;
}

function place(intervals: readonly Interval[], order: readonly number[], bound: number): { offsets: number[]; peakBytes: number } {
  const offsets = new Array<number>(intervals.length).fill(0);
  const placed: number[] = [];
  let peak = 0;
  for (const index of order) {
    const iv = intervals[index]!;
    const conflicts = placed.filter((p) => overlapsInTime(intervals[p]!, iv));
    const candidates = new Set<number>([0, alignDown(Math.max(bound, peak) - iv.sizeBytes)]);
    for (const p of conflicts) {
      candidates.add(alignUp(offsets[p]! + intervals[p]!.sizeBytes));
      candidates.add(alignDown(offsets[p]! - iv.sizeBytes));
    }
    let best = -1;
    let bestPeak = Infinity;
    for (const offset of [...candidates].sort((a, b) => a - b)) {
      if (offset < 0) continue;
      const clash = conflicts.some((p) => offset < offsets[p]! + intervals[p]!.sizeBytes && offsets[p]! < offset + iv.sizeBytes);
      if (clash) continue;
      const newPeak = Math.max(peak, offset + iv.sizeBytes);
      if (newPeak < bestPeak) {
        best = offset;
        bestPeak = newPeak;
      }
    }
    offsets[index] = best;
    peak = bestPeak;
    placed.push(index);
  }
  return { offsets, peakBytes: peak };
}

/** Offsets for each interval, in input order; the peak is max(offset + size). */
export function placeBuffers(intervals: readonly Interval[]): { offsets: number[]; peakBytes: number } {
  if (intervals.length === 0) return { offsets: [], peakBytes: 0 };
  const bound = liveBytesBound(intervals);
  const idx = intervals.map((_, i) => i);
  const size = (i: number) => intervals[i]!.sizeBytes;
  const life = (i: number) => intervals[i]!.last - intervals[i]!.first;
  const orders = [
    [...idx].sort((a, b) => size(b) - size(a) || a - b),
    [...idx].sort((a, b) => intervals[a]!.first - intervals[b]!.first || size(b) - size(a) || a - b),
    [...idx].sort((a, b) => life(b) - life(a) || size(b) - size(a) || a - b),
  ];
  let best: { offsets: number[]; peakBytes: number } | undefined;
  for (const order of orders) {
    const layout = place(intervals, order, bound);
    if (best === undefined || layout.peakBytes < best.peakBytes) best = layout;
    if (best.peakBytes <= bound) break;
  }
  return best!;
}
