// rig plan and rig models: analysis without hardware.
import { TILED_OPTIONS_ONLY } from '../bench/bench.js';
import { loadModel } from '../config/model.js';
import { PUBLISHED } from '../model/published.js';
import { BUILTIN_MODELS } from '../model/zoo.js';
import type { Model } from '../model/ir.js';
import { analyze, paperPeakBytes, type ModelFigures } from '../schedule/analysis.js';
import { liveBytesBound } from '../schedule/arena.js';
import { defaultPatchOptions, planPatches, planPatchSchedule } from '../schedule/patch.js';
import { opSteps, type Plan, type ScheduleName } from '../schedule/plan.js';
import { planStreamSchedule, type StreamSchedule } from '../schedule/stream.js';
import { searchCommand } from './search.js';
import { UserError } from '../util/errors.js';
import { planLayerwise } from '../schedule/layerwise.js';
import { formatInt, outputFormat, printListing, renderTable } from './table.js';

/** The change from `reference` to `value` in percent, signed. */
export function pct(value: number, reference: number, digits = 2): string {
  const d = ((value - reference) / reference) * 100;
  if (Math.abs(d) < 0.5 * 10 ** -digits) return `${(0).toFixed(digits)}%`;
  return `${d > 0 ? '+' : ''}${d.toFixed(digits)}%`;
}

export async function figuresFor(model: string, seed: number): Promise<ModelFigures> {
  return analyze(planLayerwise(await loadModel(model, seed)));
}

function comparisons(f: ModelFigures): string[] {
  const p = PUBLISHED.get(f.model);
  if (p === undefined) return [];
  const lines: string[] = [];
  if (p.macs !== undefined) lines.push(`MACs ${formatInt(f.macs)} vs ${formatInt(p.macs)} published (${p.source}): ${pct(f.macs, p.macs)}`);
  if (p.params !== undefined) lines.push(`params ${formatInt(f.params)} vs ${formatInt(p.params)} published: ${pct(f.params, p.params)}`);
  if (p.tinyEngineLayerwisePeakBytes !== undefined) {
    lines.push(`real arena peak ${formatInt(f.arenaPeakBytes)} B vs TinyEngine's layer-wise plan ${formatInt(p.tinyEngineLayerwisePeakBytes)} B: ${pct(f.arenaPeakBytes, p.tinyEngineLayerwisePeakBytes)}`);
  }
  if (p.msfLayerwisePeakBytes !== undefined) lines.push(`msf-CNN's layer-wise peak (their metric): ${formatInt(p.msfLayerwisePeakBytes)} B`);
  return lines;
}

function patchPlanCommand(model: Model, args: PlanArgs): number {
  const options = defaultPatchOptions(model, { patches: args.patches, split: args.split });
  const pp = planPatches(model, options);
  const layerwisePeak = paperPeakBytes(model);
  const arena = { layerwise: planLayerwise(model).arenaBytes, patched: planPatchSchedule(model, options).arenaBytes };
  const m = pp.macs;
  const totalUnclipped = m.totalLayerwise - m.stageLayerwise + m.stagePatchedUnclipped;
  const overhead = (patched: number, layerwise: number) => patched / layerwise - 1;
  const stageOut = model.tensors[pp.stageOutput]!.shape;
  const summary = {
    model: model.name,
    schedule: 'patch' as const,
    patches: options.patches,
    split: options.split,
    stageOps: pp.stageOps.map((i) => model.ops[i]!.name),
    stageOutputShape: [...stageOut],
    patchInput: pp.patchInput,
    macs: m,
    overhead: {
      stage: overhead(m.stagePatched, m.stageLayerwise),
      stageUnclipped: overhead(m.stagePatchedUnclipped, m.stageLayerwise),
      overall: overhead(m.totalPatched, m.totalLayerwise),
      overallUnclipped: overhead(totalUnclipped, m.totalLayerwise),
    },
    paperPeakBytes: { layerwise: layerwisePeak, patched: pp.paperPeakBytes, stage: pp.stagePaperPeakBytes, rest: pp.restPaperPeakBytes },
    arenaBytes: arena,
  };
  if (args.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return 0;
  }
  const kB = (b: number) => `${formatInt(b)} B (${(b / 1024).toFixed(1)} KB)`;
  process.stdout.write(
    [
      `${model.name}: schedule patch, ${options.patches}×${options.patches} patches, stage = blocks 0-${options.split - 1} (${pp.stageOps.length} ops), stage output ${stageOut.join('×')}`,
      `largest patch input           ${pp.patchInput.h}×${pp.patchInput.w}`,
      `paper-metric peak             layer-wise ${kB(layerwisePeak)} -> patched ${kB(pp.paperPeakBytes)} (stage ${formatInt(pp.stagePaperPeakBytes)} B incl. its output, rest ${formatInt(pp.restPaperPeakBytes)} B)`,
      `real arena peak               layer-wise ${kB(arena.layerwise)} -> patched ${kB(arena.patched)} (what the firmware allocates)`,
      `stage MACs                    layer-wise ${formatInt(m.stageLayerwise)} -> patched ${formatInt(m.stagePatched)} (${pct(m.stagePatched, m.stageLayerwise, 1)}); unclipped ${formatInt(m.stagePatchedUnclipped)} (${pct(m.stagePatchedUnclipped, m.stageLayerwise, 1)})`,
      `overall MACs                  layer-wise ${formatInt(m.totalLayerwise)} -> patched ${formatInt(m.totalPatched)} (${pct(m.totalPatched, m.totalLayerwise, 1)}); unclipped ${pct(totalUnclipped, m.totalLayerwise, 1)}`,
      'Patched MACs count each pixel a patch computes with its full k×k taps, as the layer-wise count does;',
      'regions are clipped at the feature-map borders, so border patches compute less. "Unclipped" counts every',
      "patch as if its receptive field never met a border (padding computed like data), as MCUNetV2's +42% stage figure does.",
      '',
    ].join('\n'),
  );
  return 0;
}

/** Stream buffers' bytes at the busiest step, and the stage's executed MACs. */
function stageFigures(plan: Plan, stageOps: readonly number[]) {
  const stage = new Set(stageOps);
  return {
    stageMacs: opSteps(plan).reduce((sum, st) => (stage.has(st.op) ? sum + st.macs : sum), 0),
    streamBufferBytes: liveBytesBound(plan.buffers.filter((b) => b.role === 'stream')),
  };
}

function streamPlanCommand(model: Model, schedule: StreamSchedule, args: PlanArgs): number {
  const options = defaultPatchOptions(model, { patches: args.patches, split: args.split });
  const pp = planPatches(model, options);
  const plan = planStreamSchedule(model, schedule, options);
  const patch = planPatchSchedule(model, options);
  const { stageMacs, streamBufferBytes } = stageFigures(plan, pp.stageOps);
  const stageOut = model.tensors[pp.stageOutput]!.shape;
  const summary = {
    model: model.name,
    schedule,
    patches: options.patches,
    split: options.split,
    stageOps: pp.stageOps.map((i) => model.ops[i]!.name),
    stageOutputShape: [...stageOut],
    macs: { stageLayerwise: pp.macs.stageLayerwise, stagePatched: pp.macs.stagePatched, stageExecuted: stageMacs, totalLayerwise: pp.macs.totalLayerwise, totalPatched: pp.macs.totalPatched, totalExecuted: plan.macs },
    arenaBytes: { layerwise: planLayerwise(model).arenaBytes, patched: patch.arenaBytes, streamed: plan.arenaBytes },
    streamBufferBytes,
  };
  if (args.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return 0;
  }
  const m = summary.macs;
  const a = summary.arenaBytes;
  process.stdout.write(
    [
      `${model.name}: schedule ${schedule}, ${options.patches}×${options.patches} cells, stage = blocks 0-${options.split - 1} (${pp.stageOps.length} ops), stage output ${stageOut.join('×')}`,
      `real arena peak               layer-wise ${formatInt(a.layerwise)} B, patch ${formatInt(a.patched)} B, ${schedule} ${formatInt(a.streamed)} B (stream buffers ${formatInt(streamBufferBytes)} B at the busiest step)`,
      `stage MACs                    layer-wise ${formatInt(m.stageLayerwise)}, patch ${formatInt(m.stagePatched)} (${pct(m.stagePatched, m.stageLayerwise, 1)}), ${schedule} ${formatInt(m.stageExecuted)} (${pct(m.stageExecuted, m.stageLayerwise, 1)})`,
      `overall MACs                  layer-wise ${formatInt(m.totalLayerwise)}, patch ${formatInt(m.totalPatched)} (${pct(m.totalPatched, m.totalLayerwise, 1)}), ${schedule} ${formatInt(m.totalExecuted)} (${pct(m.totalExecuted, m.totalLayerwise, 1)})`,
      '',
    ].join('\n'),
  );
  return 0;
}

export interface PlanArgs {
  model: string;
  seed: number;
  json: boolean;
  schedule: ScheduleName;
  patches?: number | undefined;
  split?: number | undefined;
  budget?: string | undefined;
  objective?: 'macs' | 'memory' | undefined;
  macBudget?: number | undefined;
  maxPatches?: number | undefined;
  board?: string | undefined;
  db?: string | undefined;
}

export async function planCommand(args: PlanArgs): Promise<number> {
  const model = await loadModel(args.model, args.seed);
  if (args.budget !== undefined || args.objective !== undefined || args.macBudget !== undefined) return searchCommand(model, args);
  if (args.schedule === 'patch') return patchPlanCommand(model, args);
  if (args.schedule === 'stream1d' || args.schedule === 'stream2d') return streamPlanCommand(model, args.schedule, args);
  if (args.patches !== undefined || args.split !== undefined) throw new UserError(TILED_OPTIONS_ONLY, { exitCode: 2 });
  const f = analyze(planLayerwise(model));
  if (args.json) {
    process.stdout.write(JSON.stringify({ schedule: 'layer', ...f, published: PUBLISHED.get(f.model) ?? null }, null, 2) + '\n');
    return 0;
  }
  const rows = f.layers.map((l) => [
    l.name,
    l.kind + (l.inPlace ? ' (in place)' : ''),
    l.outputShape.join('×'),
    formatInt(l.macs),
    formatInt(l.params),
    formatInt(l.weightBytes),
    formatInt(l.activationBytes),
  ]);
  const out = [
    `${f.model}: input ${f.input.join('×')}, schedule layer`,
    renderTable(['layer', 'op', 'output', 'MACs', 'params', 'weight bytes', 'in+out bytes'], rows, new Set([3, 4, 5, 6])),
    '',
    `MACs                         ${formatInt(f.macs)}`,
    `params (PyTorch count)       ${formatInt(f.params)}`,
    `weights in flash             ${formatInt(f.weightBytes)} B`,
    `paper-metric peak            ${formatInt(f.paperPeakBytes)} B (${(f.paperPeakBytes / 1024).toFixed(1)} KB: largest layer input + output, depthwise in place)`,
    `real arena peak              ${formatInt(f.arenaPeakBytes)} B (what the firmware allocates: lifetimes, residuals, in-place ops, scratch)`,
    ...comparisons(f),
  ];
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

export async function modelsCommand(args: { seed: number; json?: boolean | undefined; csv?: boolean | undefined }): Promise<number> {
  const format = outputFormat(args);
  const all = await Promise.all([...BUILTIN_MODELS.keys()].map((name) => figuresFor(name, args.seed)));
  const rows = all.map((f) => {
    const p = PUBLISHED.get(f.model);
    return [
      f.model,
      f.input.join('×'),
      f.macs,
      p?.macs === undefined ? null : pct(f.macs, p.macs),
      f.params,
      p?.params === undefined ? null : pct(f.params, p.params),
      f.paperPeakBytes,
      f.arenaPeakBytes,
      f.weightBytes,
    ];
  });
  const json = all.map(({ layers: _layers, ...f }) => ({ ...f, published: PUBLISHED.get(f.model) ?? null }));
  printListing(format, ['model', 'input', 'MACs', 'MACs vs published', 'params', 'params vs published', 'paper peak B', 'real peak B', 'flash weights B'], rows, json);
  return 0;
}
