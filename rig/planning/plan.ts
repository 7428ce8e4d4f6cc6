// What `rig plan` reports of a model, without hardware: the layer-wise figures, a tiled plan
// against layer-wise and patch-based, or the schedule search within a budget.
import { loadBoard } from '../config/board.js';
import { loadModel } from '../config/model.js';
import { DEFAULTS } from '../defaults.js';
import type { Model } from '../model/ir.js';
import { PUBLISHED, type Published } from '../model/published.js';
import { analyze, paperPeakBytes, type ModelFigures } from '../schedule/analysis.js';
import { liveBytesBound } from '../schedule/arena.js';
import { planLayerwise } from '../schedule/layerwise.js';
import { DEFAULT_TOKEN_ROWS, integratedChains, MCUFORMER_TECHNIQUES, mcuformerMetric, planMcuformer, type McuformerTechnique } from '../schedule/mcuformer.js';
import { defaultPatchOptions, planPatches, planPatchSchedule, type PatchPlan } from '../schedule/patch.js';
import { opSteps, type Plan, type ScheduleName } from '../schedule/plan.js';
import { planStreamSchedule, type StreamSchedule } from '../schedule/stream.js';
import { boardFit, fittingPlan, type BoardFit, type FittingPlan } from './fit.js';
import { searchPlans, type SearchReport, type SearchRequest } from './search.js';

/** MCUNetV2's patch-based plan against layer-wise: patch input, both peaks, MACs clipped and unclipped. */
export interface PatchSummary {
  readonly model: string;
  readonly schedule: 'patch';
  readonly patches: number;
  readonly split: number;
  readonly stageOps: readonly string[];
  readonly stageOutputShape: readonly number[];
  readonly patchInput: PatchPlan['patchInput'];
  readonly macs: PatchPlan['macs'];
  /** Patch-based over layer-wise MACs, minus 1. */
  readonly overhead: { readonly stage: number; readonly stageUnclipped: number; readonly overall: number; readonly overallUnclipped: number };
  /** MCUNetV2's metric: layer-wise; patched (the whole network's peak); the stage's own and the rest's. */
  readonly paperPeakBytes: { readonly layerwise: number; readonly patched: number; readonly stage: number; readonly rest: number };
  readonly arenaBytes: { readonly layerwise: number; readonly patched: number };
}

export function patchSummary(model: Model, given: { patches?: number | undefined; split?: number | undefined }): PatchSummary {
  const options = defaultPatchOptions(model, given);
  const pp = planPatches(model, options);
  const m = pp.macs;
  const totalUnclipped = m.totalLayerwise - m.stageLayerwise + m.stagePatchedUnclipped;
  const overhead = (patched: number, layerwise: number) => patched / layerwise - 1;
  return {
    model: model.name,
    schedule: 'patch',
    patches: options.patches,
    split: options.split,
    stageOps: pp.stageOps.map((i) => model.ops[i]!.name),
    stageOutputShape: [...model.tensors[pp.stageOutput]!.shape],
    patchInput: pp.patchInput,
    macs: m,
    overhead: {
      stage: overhead(m.stagePatched, m.stageLayerwise),
      stageUnclipped: overhead(m.stagePatchedUnclipped, m.stageLayerwise),
      overall: overhead(m.totalPatched, m.totalLayerwise),
      overallUnclipped: overhead(totalUnclipped, m.totalLayerwise),
    },
    paperPeakBytes: { layerwise: paperPeakBytes(model), patched: pp.paperPeakBytes, stage: pp.stagePaperPeakBytes, rest: pp.restPaperPeakBytes },
    arenaBytes: { layerwise: planLayerwise(model).arenaBytes, patched: planPatchSchedule(model, options).arenaBytes },
  };
}

/** A streaming plan against layer-wise and patch-based on the same stage and grid. */
export interface StreamSummary {
  readonly model: string;
  readonly schedule: StreamSchedule;
  readonly patches: number;
  readonly split: number;
  readonly stageOps: readonly string[];
  readonly stageOutputShape: readonly number[];
  readonly macs: {
    readonly stageLayerwise: number;
    readonly stagePatched: number;
    readonly stageExecuted: number;
    readonly totalLayerwise: number;
    readonly totalPatched: number;
    readonly totalExecuted: number;
  };
  readonly arenaBytes: { readonly layerwise: number; readonly patched: number; readonly streamed: number };
  /** The stream buffers' bytes at the busiest step. */
  readonly streamBufferBytes: number;
}

/** Stream buffers' bytes at the busiest step, and the stage's executed MACs. */
function stageFigures(plan: Plan, stageOps: readonly number[]) {
  const stage = new Set(stageOps);
  return {
    stageMacs: opSteps(plan).reduce((sum, st) => (stage.has(st.op) ? sum + st.macs : sum), 0),
    streamBufferBytes: liveBytesBound(plan.buffers.filter((b) => b.role === 'stream')),
  };
}

export function streamSummary(model: Model, schedule: StreamSchedule, given: { patches?: number | undefined; split?: number | undefined }): StreamSummary {
  const options = defaultPatchOptions(model, given);
  const pp = planPatches(model, options);
  const plan = planStreamSchedule(model, schedule, options);
  const patch = planPatchSchedule(model, options);
  const { stageMacs, streamBufferBytes } = stageFigures(plan, pp.stageOps);
  return {
    model: model.name,
    schedule,
    patches: options.patches,
    split: options.split,
    stageOps: pp.stageOps.map((i) => model.ops[i]!.name),
    stageOutputShape: [...model.tensors[pp.stageOutput]!.shape],
    macs: {
      stageLayerwise: pp.macs.stageLayerwise,
      stagePatched: pp.macs.stagePatched,
      stageExecuted: stageMacs,
      totalLayerwise: pp.macs.totalLayerwise,
      totalPatched: pp.macs.totalPatched,
      totalExecuted: plan.macs,
    },
    arenaBytes: { layerwise: planLayerwise(model).arenaBytes, patched: patch.arenaBytes, streamed: plan.arenaBytes },
    streamBufferBytes,
  };
}

const ALL_TECHNIQUES = { decompose: true, integrate: true, overwrite: true } as const;

/** MCUFormer's plan: its arena with its techniques added one at a time to layer-wise, and what each saves. */
export interface McuformerSummary {
  readonly model: string;
  readonly schedule: 'mcuformer';
  readonly rows: number;
  /** The full schedule's arena. */
  readonly arenaPeakBytes: number;
  readonly layerwiseArenaBytes: number;
  /**
   * Layer-wise, then each technique added in turn: the arena and what adding it saved; and what
   * leaving it alone out of the full schedule costs (null for layer-wise).
   */
  readonly techniques: readonly {
    readonly technique: 'layer-wise' | McuformerTechnique;
    readonly arenaBytes: number;
    readonly savedBytes: number;
    readonly withoutItBytes: number | null;
  }[];
  readonly macs: number;
  readonly chains: number;
  /** MCUFormer's search metric D·[(N+1)(1+m) + D·m·ρ] (int8 bytes it counts), not an arena; null for a model that is not a spec transformer. */
  readonly mcuformerMetricBytes: number | null;
}

export function mcuformerSummary(model: Model, rows = DEFAULT_TOKEN_ROWS): McuformerSummary {
  const layerwise = planLayerwise(model).arenaBytes;
  const techniques: McuformerSummary['techniques'][number][] = [{ technique: 'layer-wise', arenaBytes: layerwise, savedBytes: 0, withoutItBytes: null }];
  const on = { decompose: false, integrate: false, overwrite: false };
  let plan: Plan | undefined;
  for (const technique of MCUFORMER_TECHNIQUES) {
    on[technique] = true;
    plan = planMcuformer(model, { ...on, rows });
    const without = planMcuformer(model, { ...ALL_TECHNIQUES, [technique]: false, rows }).arenaBytes;
    techniques.push({
      technique,
      arenaBytes: plan.arenaBytes,
      savedBytes: techniques[techniques.length - 1]!.arenaBytes - plan.arenaBytes,
      withoutItBytes: without,
    });
  }
  return {
    model: model.name,
    schedule: 'mcuformer',
    rows,
    arenaPeakBytes: plan!.arenaBytes,
    layerwiseArenaBytes: layerwise,
    techniques,
    macs: plan!.macs,
    chains: integratedChains(model).length,
    mcuformerMetricBytes: model.architecture === undefined ? null : mcuformerMetric(model.architecture),
  };
}

export interface PlanRequest {
  readonly model: string;
  readonly seed: number;
  readonly schedule: ScheduleName;
  readonly patches?: number | undefined;
  readonly split?: number | undefined;
  /** mcuformer: token rows per block. */
  readonly rows?: number | undefined;
  /** Search within a budget instead of planning one schedule. */
  readonly search?: SearchRequest | undefined;
  /** The board the plan is checked against (default f746), and the database whose measured instructions the search reads when it does not fit. */
  readonly board?: string | undefined;
  readonly db?: string | undefined;
}

/** Whether the plan fits the board; when its SRAM does not, the plan the budget search chooses within it. */
export interface FitReport {
  readonly fit: BoardFit;
  readonly fitting: FittingPlan | null;
}

export type PlanReport =
  | ({ readonly kind: 'layer'; readonly figures: ModelFigures; readonly published: Published | null } & FitReport)
  | ({ readonly kind: 'patch'; readonly summary: PatchSummary } & FitReport)
  | ({ readonly kind: 'stream'; readonly summary: StreamSummary } & FitReport)
  | ({ readonly kind: 'mcuformer'; readonly summary: McuformerSummary } & FitReport)
  | { readonly kind: 'search'; readonly report: SearchReport };

/** The plan against the board; a plan whose arena does not fit its SRAM gets the search's choice within it. */
async function fitReport(model: Model, plan: Plan, request: PlanRequest): Promise<FitReport> {
  const fit = boardFit(plan, await loadBoard(request.board ?? DEFAULTS.board));
  if (fit.sram.fits) return { fit, fitting: null };
  const search = { budget: { kind: 'board' as const, board: request.board }, maxPatches: DEFAULTS.maxPatches, board: request.board, db: request.db };
  return { fit, fitting: fittingPlan(await searchPlans(model, search)) };
}

/** The model read and planned as asked; a tiled plan's impossible grid or split is a PlanRefusal. */
export async function planModel(request: PlanRequest): Promise<PlanReport> {
  const model = await loadModel(request.model, request.seed);
  if (request.search !== undefined) return { kind: 'search', report: await searchPlans(model, request.search) };
  const given = { patches: request.patches, split: request.split };
  switch (request.schedule) {
    case 'layer': {
      const plan = planLayerwise(model);
      const figures = analyze(plan);
      return { kind: 'layer', figures, published: PUBLISHED.get(figures.model) ?? null, ...(await fitReport(model, plan, request)) };
    }
    case 'patch': {
      const summary = patchSummary(model, given);
      const plan = planPatchSchedule(model, { patches: summary.patches, split: summary.split });
      return { kind: 'patch', summary, ...(await fitReport(model, plan, request)) };
    }
    case 'mcuformer': {
      const summary = mcuformerSummary(model, request.rows);
      return { kind: 'mcuformer', summary, ...(await fitReport(model, planMcuformer(model, { ...ALL_TECHNIQUES, rows: summary.rows }), request)) };
    }
    case 'stream1d':
    case 'stream2d': {
      const summary = streamSummary(model, request.schedule, given);
      const plan = planStreamSchedule(model, request.schedule, { patches: summary.patches, split: summary.split });
      return { kind: 'stream', summary, ...(await fitReport(model, plan, request)) };
    }
  }
}
