// A spatial stage run cell by cell over a P×P grid of its output, in raster order. Along each axis
// a schedule either recomputes the halos (patch-based) or keeps them (streaming): every stage
// tensor then computes only the rows or columns no earlier cell computed, and the overlap a cell
// reads comes from a stream buffer that the previous cell filled. Regions are separable, so each
// axis is planned on its own; this module turns the two axes into calls. Pure.
import type { Model, Op, Region, Span } from '../model/ir.js';
import { opModule } from '../ops/registry.js';
import type { Call } from './plan.js';

export type AxisMode = 'recompute' | 'stream';

export type { Span };

/** Per grid index: what a stage tensor holds while the cell runs, and what the cell computes of it. */
interface AxisTiling {
  readonly work: Span[];
  readonly computed: Span[];
}

const isEmpty = (s: Span) => s.hi <= s.lo;

/** Grid boundaries: cell i covers [floor(i·n/P), floor((i+1)·n/P)). */
export function gridBounds(n: number, parts: number): number[] {
  return Array.from({ length: parts + 1 }, (_, i) => Math.floor((i * n) / parts));
}

/**
 * The span of input `k` an op reads to produce `out` along one axis (0: rows, 1: columns): clipped
 * to the input (the taps outside it are the layer-wise padding), or unclipped (padding as if data).
 */
export function inputSpan(model: Model, op: Op, k: number, axis: 0 | 1, out: Span, clip = true): Span {
  return opModule(op).inputSpan(op, k, axis, out, model.tensors[op.inputs[k]!]!.shape[axis], clip);
}

export interface Stage {
  /** Op indices of the stage, in execution order. */
  readonly ops: readonly number[];
  readonly output: number;
}

function axisTiling(model: Model, stage: Stage, axis: 0 | 1, parts: number, mode: AxisMode, clip = true): Map<number, AxisTiling> {
  const bounds = gridBounds(model.tensors[stage.output]!.shape[axis], parts);
  const cells = bounds.slice(0, -1).map((lo, i) => ({ lo, hi: bounds[i + 1]! }));
  const tiling = new Map<number, AxisTiling>([[stage.output, { work: cells, computed: cells }]]);
  const reads = new Map<number, (Span | undefined)[]>();
  const finalize = (t: number, m: AxisMode) => {
    const r = reads.get(t) ?? [];
    if (m === 'recompute') {
      const spans = cells.map((_, i) => r[i] ?? { lo: 0, hi: 0 });
      tiling.set(t, { work: spans, computed: spans });
      return;
    }
    // Streaming: cell i computes what it reads that no earlier cell computed; it holds also the
    // overlap before that, which it gets from the stream buffer the previous cell filled.
    let next = r.find((s) => s !== undefined)?.lo ?? 0;
    const work: Span[] = [];
    const computed: Span[] = [];
    cells.forEach((_, i) => {
      const s = r[i] ?? { lo: next, hi: next };
      const lo = Math.max(next, s.lo);
      const hi = Math.max(lo, s.hi);
      computed.push({ lo, hi });
      work.push({ lo: Math.min(s.lo, lo), hi });
      if (i > 0 && s.lo < next && s.lo < work[i - 1]!.lo) {
        throw new Error(`tiling: the overlap of ${model.tensors[t]!.name} at cell ${i} reaches before what cell ${i - 1} held`);
      }
      next = Math.max(next, hi);
    });
    tiling.set(t, { work, computed });
  };
  for (const i of [...stage.ops].reverse()) {
    const op = model.ops[i]!;
    if (op.output !== stage.output) finalize(op.output, mode); // every consumer of it has been seen
    const out = tiling.get(op.output)!.computed;
    op.inputs.forEach((t, k) => {
      const r = reads.get(t) ?? [];
      out.forEach((span, cell) => {
        if (isEmpty(span)) return;
        const need = inputSpan(model, op, k, axis, span, clip);
        const had = r[cell];
        r[cell] = had === undefined ? need : { lo: Math.min(had.lo, need.lo), hi: Math.max(had.hi, need.hi) };
      });
      reads.set(t, r);
    });
  }
  finalize(model.input, 'recompute'); // the input is copied from flash, never computed
  return tiling;
}

const region = (rows: Span, cols: Span): Region => ({ y0: rows.lo, y1: rows.hi, x0: cols.lo, x1: cols.hi });
const regionEmpty = (r: Region) => r.y1 <= r.y0 || r.x1 <= r.x0;

/**
 * Patch-based regions, by cell row and column: the region of every stage tensor (and of the
 * model input) that the cell computes or reads, clipped at the borders or, with `clip` false,
 * as if the receptive field never met one (padding computed like data).
 */
export function cellRegions(model: Model, stage: Stage, parts: number, clip = true): Map<number, Region>[][] {
  const rows = axisTiling(model, stage, 0, parts, 'recompute', clip);
  const cols = axisTiling(model, stage, 1, parts, 'recompute', clip);
  return Array.from({ length: parts }, (_, r) =>
    Array.from({ length: parts }, (_, c) => new Map([...rows.keys()].map((t) => [t, region(rows.get(t)!.work[r]!, cols.get(t)!.work[c]!)] as const))),
  );
}

/** The calls that run the stage cell by cell; the stage output is one whole tensor. */
export function stageCalls(model: Model, stage: Stage, parts: number, modes: { rows: AxisMode; cols: AxisMode }): Call[] {
  const rows = axisTiling(model, stage, 0, parts, modes.rows);
  const cols = axisTiling(model, stage, 1, parts, modes.cols);
  const calls: Call[] = [];
  for (let r = 0; r < parts; r++)
    for (let c = 0; c < parts; c++) {
      const suffix = `@${r},${c}`;
      const key = (t: number) => (t === stage.output ? `${t}` : `${t}${suffix}`);
      const copy = (tensor: number, reg: Region, from: string, to: string) => {
        if (!regionEmpty(reg)) calls.push({ kind: 'copy', tensor, region: reg, from, to });
      };
      calls.push({ kind: 'load', region: region(rows.get(model.input)!.work[r]!, cols.get(model.input)!.work[c]!), instance: key(model.input) });
      for (const i of stage.ops) {
        const op = model.ops[i]!;
        const t = op.output;
        const R = rows.get(t)!;
        const C = cols.get(t)!;
        const streamed = t !== stage.output;
        // The overlap this cell holds but does not compute: columns from the cell to the left
        // (with every row the cell holds), rows from the cell above (the columns it computes).
        if (streamed && modes.cols === 'stream' && c > 0)
          copy(t, region(R.work[r]!, { lo: C.work[c]!.lo, hi: C.computed[c]!.lo }), `${t}#cols${suffix}`, key(t));
        if (streamed && modes.rows === 'stream' && r > 0)
          copy(t, region({ lo: R.work[r]!.lo, hi: R.computed[r]!.lo }, C.computed[c]!), `${t}#rows${suffix}`, key(t));
        const computed = region(R.computed[r]!, C.computed[c]!);
        if (!regionEmpty(computed)) calls.push({ kind: 'op', op: i, region: computed, outInstance: key(t), inInstances: op.inputs.map(key), suffix });
        // Keep what the next cells will need and not compute.
        if (streamed && modes.cols === 'stream' && c + 1 < parts) {
          copy(t, region(R.work[r]!, { lo: C.work[c + 1]!.lo, hi: C.computed[c + 1]!.lo }), key(t), `${t}#cols@${r},${c + 1}`);
        }
        if (streamed && modes.rows === 'stream' && r + 1 < parts) {
          copy(t, region({ lo: R.work[r + 1]!.lo, hi: R.computed[r + 1]!.lo }, C.computed[c]!), key(t), `${t}#rows@${r + 1},${c}`);
        }
      }
    }
  return calls;
}
