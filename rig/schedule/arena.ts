// Static arena planning: offsets for buffers with known lifetimes. Several orders are tried (by
// size as TFLite Micro's greedy planner does, by first use, by lifetime); in each, a buffer goes
// to the lowest offset where it overlaps no buffer live at the same time. The best layout wins.
// The live bytes of the busiest step are a lower bound; when a layout reaches it, it is optimal.

export interface Interval {
  readonly sizeBytes: number;
  readonly first: number;
  readonly last: number;
}

export const ARENA_ALIGN = 4;

const alignUp = (v: number) => Math.ceil(v / ARENA_ALIGN) * ARENA_ALIGN;

/** Sum of the sizes live at the busiest step. */
export function liveBytesBound(intervals: readonly Interval[]): number {
  // Sweep: +size at `first`, -size after `last`; at equal steps the additions come first.
  const events = intervals.flatMap((iv) => [
    [iv.first, 0, iv.sizeBytes],
    [iv.last + 1, -1, -iv.sizeBytes],
  ]);
  events.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let live = 0;
  let bound = 0;
  for (const [, , delta] of events) {
    live += delta!;
    bound = Math.max(bound, live);
  }
  return bound;
}

/** Each interval in `order` goes to the lowest offset where it overlaps nothing live at the same time. */
function place(intervals: readonly Interval[], order: readonly number[]): { offsets: number[]; peakBytes: number } {
  const offsets = new Array<number>(intervals.length).fill(0);
  const start = Math.min(...intervals.map((iv) => iv.first));
  const end = Math.max(...intervals.map((iv) => iv.last));
  // The placed intervals live at each step, so that finding what a new one overlaps in time costs
  // its own length, not the number placed.
  const byStep: number[][] = Array.from({ length: end - start + 1 }, () => []);
  const seenBy = new Int32Array(intervals.length).fill(-1);
  let peak = 0;
  for (const index of order) {
    const iv = intervals[index]!;
    const taken: [number, number][] = [];
    for (let t = iv.first; t <= iv.last; t++)
      for (const p of byStep[t - start]!) {
        if (seenBy[p] === index) continue;
        seenBy[p] = index;
        taken.push([offsets[p]!, offsets[p]! + intervals[p]!.sizeBytes]);
      }
    taken.sort((a, b) => a[0] - b[0]);
    let offset = 0;
    for (const [lo, hi] of taken) {
      if (offset + iv.sizeBytes <= lo) break;
      offset = Math.max(offset, alignUp(hi));
    }
    offsets[index] = offset;
    peak = Math.max(peak, offset + iv.sizeBytes);
    for (let t = iv.first; t <= iv.last; t++) byStep[t - start]!.push(index);
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
    const layout = place(intervals, order);
    if (best === undefined || layout.peakBytes < best.peakBytes) best = layout;
    if (best.peakBytes <= bound) break;
  }
  return best!;
}
