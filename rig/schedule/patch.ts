// Patch-based inference (MCUNetV2): the first `split` blocks of the model (the patch stage) run
// once per cell of a P×P grid over the stage's output, each on the region of every stage tensor
// that the cell needs (its receptive field, clipped at the feature-map borders, where the
// layer-wise padding applies); overlapping halos are recomputed. The rest runs layer-wise.
// This module plans the regions and counts executed MACs and memory; it is pure.
import { macsPerOutputPixel, opMacs, tensorBytes, type Model, type Op } from '../model/ir.js';
import { opModule } from '../ops/registry.js';
import { PlanRefusal } from './refusal.js';
import { layerPaperBytes, paperPeakBytes } from './analysis.js';
import { layerwiseCalls } from './layerwise.js';
import { allocatePlan, regionPixels, type Call, type Plan, type Region } from './plan.js';
import { cellRegions, inputSpan, stageCalls } from './tiling.js';

export interface PatchOptions {
  /** P: the stage output is cut into a P×P grid. */
  readonly patches: number;
  /** The stage is blocks [0, split) of the model spec. */
  readonly split: number;
}

export interface Patch {
  readonly row: number;
  readonly col: number;
  /** The region of every stage tensor this patch computes or reads, by tensor id. */
  readonly regions: ReadonlyMap<number, Region>;
}

export interface PatchPlan {
  readonly model: Model;
  readonly options: PatchOptions;
  /** Op indices of the stage, in execution order. */
  readonly stageOps: readonly number[];
  readonly stageOutput: number;
  readonly patches: readonly Patch[];
  /** The largest patch input (the model input region a patch reads), rows × columns. */
  readonly patchInput: { readonly h: number; readonly w: number };
  readonly macs: {
    readonly stageLayerwise: number;
    /** What the patches execute: regions clipped at the borders, so border patches compute less. */
    readonly stagePatched: number;
    /** Every patch as if its receptive field never met a border (padding computed like data). */
    readonly stagePatchedUnclipped: number;
    readonly totalLayerwise: number;
    readonly totalPatched: number;
  };
  /** MCUNetV2's metric for the patched network: see `patchPaperPeak`. */
  readonly paperPeakBytes: number;
  readonly stagePaperPeakBytes: number;
  readonly restPaperPeakBytes: number;
}

/** The region of input `k` an op reads to produce `out` of its output (see `inputSpan`). */
export function inputRegion(model: Model, op: Op, k: number, out: Region, clip = true): Region {
  const rows = inputSpan(model, op, k, 0, { lo: out.y0, hi: out.y1 }, clip);
  const cols = inputSpan(model, op, k, 1, { lo: out.x0, hi: out.x1 }, clip);
  return { y0: rows.lo, y1: rows.hi, x0: cols.lo, x1: cols.hi };
}

export function planPatches(model: Model, options: PatchOptions): PatchPlan {
  const { patches: p, split } = options;
  const blocks = Math.max(...model.ops.map((o) => o.block)) + 1;
  if (!Number.isInteger(split) || split < 1 || split >= blocks) {
    throw new PlanRefusal('split', split, `expected a whole number of blocks from 1 to ${blocks - 1} (the rest of ${model.name} must keep at least one block)`);
  }
  const stageOps = model.ops.map((_, i) => i).filter((i) => model.ops[i]!.block < split);
  for (const i of stageOps) {
    const op = model.ops[i]!;
    const why = opModule(op).wholeTensor;
    if (why !== null) {
      throw new PlanRefusal('split', split, `block ${op.block} of ${model.name} is ${op.kind} (${op.name}); ${why}. Choose a split before it.`);
    }
  }
  const stageOutput = model.ops[stageOps[stageOps.length - 1]!]!.output;
  const inStage = new Set([model.input, ...stageOps.map((i) => model.ops[i]!.output)]);
  for (const op of model.ops.filter((o) => o.block >= split)) {
    const t = op.inputs.find((t) => inStage.has(t) && t !== stageOutput);
    if (t !== undefined) {
      throw new PlanRefusal(
        'split',
        split,
        `${op.name} after the stage reads ${model.tensors[t]!.name} from inside it; only the stage output is kept whole. Choose another split.`,
      );
    }
  }
  const [outH, outW] = model.tensors[stageOutput]!.shape;
  if (!Number.isInteger(p) || p < 1 || p > Math.min(outH, outW)) {
    throw new PlanRefusal(
      'patches',
      p,
      `expected a whole number from 1 to ${Math.min(outH, outW)} (the stage output of ${model.name} at split ${split} is ${outH}×${outW})`,
    );
  }

  const stage = { ops: stageOps, output: stageOutput };
  const clipped = cellRegions(model, stage, p);
  const unclipped = cellRegions(model, stage, p, false);
  /** MACs the stage executes in one cell with these regions. */
  const cellMacs = (regions: ReadonlyMap<number, Region>) =>
    stageOps.reduce((sum, i) => sum + regionPixels(regions.get(model.ops[i]!.output)!) * macsPerOutputPixel(model, model.ops[i]!), 0);
  const patchList: Patch[] = clipped.flatMap((row, r) => row.map((regions, c) => ({ row: r, col: c, regions })));
  const stagePatched = patchList.reduce((sum, patch) => sum + cellMacs(patch.regions), 0);
  const stagePatchedUnclipped = unclipped.flat().reduce((sum, regions) => sum + cellMacs(regions), 0);
  let patchInput = { h: 0, w: 0 };
  for (const patch of patchList) {
    const inR = patch.regions.get(model.input)!;
    if (regionPixels(inR) > patchInput.h * patchInput.w) patchInput = { h: inR.y1 - inR.y0, w: inR.x1 - inR.x0 };
  }

  const stageLayerwise = stageOps.reduce((sum, i) => sum + opMacs(model, model.ops[i]!), 0);
  const totalLayerwise = model.ops.reduce((sum, op) => sum + opMacs(model, op), 0);
  const stageOutBytes = tensorBytes(model.tensors[stageOutput]!);
  let stagePeak = 0;
  for (const patch of patchList)
    for (const i of stageOps) {
      const op = model.ops[i]!;
      const bytes = (t: number) => regionPixels(patch.regions.get(t)!) * model.tensors[t]!.shape[2];
      const layer = layerPaperBytes(op, op.inputs.map(bytes), bytes(op.output));
      if (layer !== null) stagePeak = Math.max(stagePeak, layer + stageOutBytes);
    }
  const rest: Model = { ...model, ops: model.ops.filter((op) => op.block >= split) };
  const restPeak = paperPeakBytes(rest);
  return {
    model,
    options,
    stageOps,
    stageOutput,
    patches: patchList,
    patchInput,
    macs: { stageLayerwise, stagePatched, stagePatchedUnclipped, totalLayerwise, totalPatched: totalLayerwise - stageLayerwise + stagePatched },
    paperPeakBytes: Math.max(stagePeak, restPeak),
    stagePaperPeakBytes: stagePeak,
    restPaperPeakBytes: restPeak,
  };
}

/**
 * The patch schedule as calls: per patch (in raster order) its input region is copied from flash,
 * then every stage op computes its region into that patch's own buffers, the last one into the
 * one full stage-output buffer; then the rest of the network runs layer-wise.
 */
export function planPatchSchedule(model: Model, options: PatchOptions): Plan {
  const pp = planPatches(model, options);
  const stage = new Set(pp.stageOps);
  const calls: Call[] = [
    ...stageCalls(model, { ops: pp.stageOps, output: pp.stageOutput }, options.patches, { rows: 'recompute', cols: 'recompute' }),
    ...layerwiseCalls(
      model,
      model.ops.map((_, i) => i).filter((i) => !stage.has(i)),
    ),
  ];
  return allocatePlan(model, 'patch', { ...options }, calls, pp.paperPeakBytes);
}

/**
 * Defaults for omitted options: P = 2, and the split (over every block a patch stage can hold)
 * whose patch schedule needs the smallest arena, the earliest on a tie (less recomputation).
 */
export function defaultPatchOptions(model: Model, given: Partial<PatchOptions>): PatchOptions {
  const patches = given.patches ?? 2;
  if (!Number.isInteger(patches) || patches < 1) throw new PlanRefusal('patches', patches, 'expected a whole number of at least 1');
  if (given.split !== undefined) return { patches, split: given.split };
  let best: { split: number; arena: number } | undefined;
  const blocks = Math.max(...model.ops.map((o) => o.block)) + 1;
  for (let split = 1; split < blocks; split++) {
    try {
      const arena = planPatchSchedule(model, { patches, split }).arenaBytes;
      if (best === undefined || arena < best.arena) best = { split, arena };
    } catch (error) {
      if (error instanceof PlanRefusal) continue; // not a valid stage: past a pool, or too small for P
      throw error;
    }
  }
  if (best === undefined) throw new PlanRefusal('patches', patches, noStageFor(model, patches));
  return { patches, split: best.split };
}

/** Why no split takes a P×P grid: the largest grid any stage output allows, and where. */
function noStageFor(model: Model, patches: number): string {
  let largest: { split: number; h: number; w: number } | undefined;
  const blocks = Math.max(...model.ops.map((o) => o.block)) + 1;
  for (let split = 1; split < blocks; split++) {
    try {
      const pp = planPatches(model, { patches: 1, split });
      const [h, w] = model.tensors[pp.stageOutput]!.shape;
      if (largest === undefined || Math.min(h, w) > Math.min(largest.h, largest.w)) largest = { split, h, w };
    } catch (error) {
      if (error instanceof PlanRefusal) continue;
      throw error;
    }
  }
  if (largest === undefined) return `${model.name} has no patch stage for a ${patches}×${patches} grid: no split of it can be cut into patches`;
  const most = Math.min(largest.h, largest.w);
  return `${model.name} has no patch stage for a ${patches}×${patches} grid: expected a whole number from 1 to ${most} (its largest stage output, at split ${largest.split}, is ${largest.h}×${largest.w})`;
}
