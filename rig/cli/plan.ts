// rig plan: a model's plan without hardware: layer-wise figures, a tiled plan, or the schedule search.
import type { Argv } from 'yargs';
import { ROWS_OPTION_ONLY, TILED_OPTIONS_ONLY } from '../bench/bench.js';
import { DEFAULTS, shownPath } from '../defaults.js';
import type { Published } from '../model/published.js';
import { fitLines } from '../planning/fit.js';
import { planModel, type FitReport, type McuformerSummary, type PatchSummary, type StreamSummary } from '../planning/plan.js';
import { DEFAULT_TOKEN_ROWS } from '../schedule/mcuformer.js';
import { parseBytes, type BudgetRequest, type SearchReport } from '../planning/search.js';
import type { ModelFigures } from '../schedule/analysis.js';
import { SCHEDULES, type ScheduleName } from '../schedule/plan.js';
import { UserError } from '../util/errors.js';
import { formatInt, pct } from '../util/format.js';
import { renderTable } from './table.js';

export function planOptions<T>(y: Argv<T>) {
  return y
    .option('model', {
      type: 'string',
      default: DEFAULTS.model,
      describe: 'built-in model name, path to a model spec (.json) or an int8 TFLite file (.tflite)',
    })
    .option('schedule', { choices: SCHEDULES, default: DEFAULTS.schedule })
    .option('patches', { type: 'number', describe: 'patch, stream1d, stream2d: a P×P grid over the stage output (default 2)' })
    .option('split', { type: 'number', describe: 'patch, stream1d, stream2d: the stage is the first N blocks (default: the smallest arena)' })
    .option('rows', { type: 'number', describe: `mcuformer: token rows per block of an integrated chain (default ${DEFAULT_TOKEN_ROWS})` })
    .option('budget', { type: 'string', describe: 'search: the least-MAC plan whose arena fits this size (e.g. 256KB; KB = 1024 B)' })
    .option('objective', {
      choices: ['macs', 'memory'] as const,
      describe: 'search: minimize MACs within --budget (default), or the arena within --mac-budget',
    })
    .option('mac-budget', { type: 'number', describe: 'search with --objective memory: at most this × the layer-wise MACs' })
    .option('max-patches', { type: 'number', describe: `search: the largest grid tried (default ${DEFAULTS.maxPatches})` })
    .option('board', {
      type: 'string',
      describe: `the board the plan is checked against (its SRAM and flash), and whose SRAM is the search's budget when --budget is omitted (default ${DEFAULTS.board})`,
    })
    .option('db', { type: 'string', describe: `search: results database with measured instructions (default ${shownPath(DEFAULTS.db)})` })
    .option('seed', { type: 'number', default: DEFAULTS.seed })
    .option('json', { type: 'boolean', default: false });
}

export interface PlanArgs {
  model: string;
  seed: number;
  json: boolean;
  schedule: ScheduleName;
  patches?: number | undefined;
  split?: number | undefined;
  rows?: number | undefined;
  budget?: string | undefined;
  objective?: 'macs' | 'memory' | undefined;
  macBudget?: number | undefined;
  maxPatches?: number | undefined;
  board?: string | undefined;
  db?: string | undefined;
}

/** The search's budget from the options: a MAC ratio, a size, or (neither given) the board's SRAM. */
function budgetRequest(args: PlanArgs): BudgetRequest {
  if ((args.objective ?? 'macs') === 'memory') {
    if (args.macBudget === undefined)
      throw new UserError('--objective memory needs --mac-budget R: the plan may execute at most R × the layer-wise MACs (e.g. 1.2)', { exitCode: 2 });
    if (!(args.macBudget >= 1)) throw new UserError(`--mac-budget ${args.macBudget}: expected a ratio of at least 1 (× the layer-wise MACs)`, { exitCode: 2 });
    if (args.budget !== undefined)
      throw new UserError('--budget goes with --objective macs (the default); --objective memory takes --mac-budget', { exitCode: 2 });
    return { kind: 'macs', macBudget: args.macBudget };
  }
  if (args.macBudget !== undefined) throw new UserError('--mac-budget goes with --objective memory', { exitCode: 2 });
  if (args.budget !== undefined) return { kind: 'bytes', bytes: parseBytes(args.budget, '--budget'), given: `--budget ${args.budget}` };
  return { kind: 'board', board: args.board };
}

function checkMaxPatches(value: number | undefined): number {
  const n = value ?? DEFAULTS.maxPatches;
  if (!Number.isInteger(n) || n < 2 || n > 32) throw new UserError(`--max-patches ${n}: expected a whole number from 2 to 32`, { exitCode: 2 });
  return n;
}

export async function planCommand(args: PlanArgs): Promise<number> {
  const searching = args.budget !== undefined || args.objective !== undefined || args.macBudget !== undefined;
  if (searching && (args.patches !== undefined || args.split !== undefined))
    throw new UserError('--patches and --split fix one plan; the search (--budget, --objective) chooses them', { exitCode: 2 });
  if (!searching && (args.schedule === 'layer' || args.schedule === 'mcuformer') && (args.patches !== undefined || args.split !== undefined))
    throw new UserError(TILED_OPTIONS_ONLY, { exitCode: 2 });
  if (args.rows !== undefined && (searching || args.schedule !== 'mcuformer')) throw new UserError(ROWS_OPTION_ONLY, { exitCode: 2 });
  const search = searching ? { budget: budgetRequest(args), maxPatches: checkMaxPatches(args.maxPatches), board: args.board, db: args.db } : undefined;
  const report = await planModel({
    model: args.model,
    seed: args.seed,
    schedule: args.schedule,
    patches: args.patches,
    split: args.split,
    rows: args.rows,
    search,
    board: args.board,
    db: args.db,
  });
  switch (report.kind) {
    case 'layer':
      return printLayer(report.figures, report.published, report, args.json);
    case 'patch':
      return printPatch(report.summary, report, args.json);
    case 'stream':
      return printStream(report.summary, report, args.json);
    case 'mcuformer':
      return printMcuformer(report.summary, report, args.json);
    case 'search':
      return printSearch(report.report, args.json);
  }
}

/** The plan against the board, as the text output's last lines. */
const fitText = (f: FitReport): string => fitLines(f.fit, f.fitting).join('\n');

function comparisons(f: ModelFigures, p: Published | null): string[] {
  if (p === null) return [];
  const lines: string[] = [];
  if (p.macs !== undefined) lines.push(`MACs ${formatInt(f.macs)} vs ${formatInt(p.macs)} published (${p.source}): ${pct(f.macs, p.macs)}`);
  if (p.params !== undefined) lines.push(`params ${formatInt(f.params)} vs ${formatInt(p.params)} published: ${pct(f.params, p.params)}`);
  if (p.tinyEngineLayerwisePeakBytes !== undefined) {
    lines.push(
      `real arena peak ${formatInt(f.arenaPeakBytes)} B vs TinyEngine's layer-wise plan ${formatInt(p.tinyEngineLayerwisePeakBytes)} B: ${pct(f.arenaPeakBytes, p.tinyEngineLayerwisePeakBytes)}`,
    );
  }
  if (p.msfLayerwisePeakBytes !== undefined) lines.push(`msf-CNN's layer-wise peak (their metric): ${formatInt(p.msfLayerwisePeakBytes)} B`);
  return lines;
}

function printLayer(f: ModelFigures, published: Published | null, fit: FitReport, json: boolean): number {
  if (json) {
    process.stdout.write(JSON.stringify({ schedule: 'layer', ...f, published, fit: fit.fit, fitting: fit.fitting }, null, 2) + '\n');
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
    f.paperPeakBytes === null
      ? 'paper-metric peak            - (MCUNet counts convolutional layers; see rig plan --schedule mcuformer for a transformer)'
      : `paper-metric peak            ${formatInt(f.paperPeakBytes)} B (${(f.paperPeakBytes / 1024).toFixed(1)} KB: largest layer input + output, depthwise in place)`,
    `real arena peak              ${formatInt(f.arenaPeakBytes)} B (what the firmware allocates: lifetimes, residuals, in-place ops, scratch)`,
    ...comparisons(f, published),
    fitText(fit),
  ];
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

/** What each MCUFormer technique is, for the table. */
const TECHNIQUE: Readonly<Record<McuformerSummary['techniques'][number]['technique'], string>> = {
  'layer-wise': 'layer-wise (every tensor whole)',
  decompose: '+ patch embedding decomposition',
  integrate: '+ operator integration',
  overwrite: '+ token overwriting',
};

function printMcuformer(s: McuformerSummary, fit: FitReport, json: boolean): number {
  if (json) {
    process.stdout.write(JSON.stringify({ ...s, fit: fit.fit, fitting: fit.fitting }, null, 2) + '\n');
    return 0;
  }
  const rows = s.techniques.map((t) => [
    TECHNIQUE[t.technique],
    formatInt(t.arenaBytes),
    t.technique === 'layer-wise' ? '' : formatInt(t.savedBytes),
    t.withoutItBytes === null ? '' : `${formatInt(t.withoutItBytes)} (+${formatInt(t.withoutItBytes - s.arenaPeakBytes)})`,
  ]);
  const out = [
    `${s.model}: schedule mcuformer, ${s.rows} token rows per block, ${s.chains} integrated chains`,
    renderTable(['arena (planned), techniques added in turn', 'bytes', 'saved', 'full schedule without it'], rows, new Set([1, 2, 3])),
    '',
    `MACs                         ${formatInt(s.macs)}`,
    `real arena peak              ${formatInt(s.arenaPeakBytes)} B (layer-wise ${formatInt(s.layerwiseArenaBytes)} B: ${pct(s.arenaPeakBytes, s.layerwiseArenaBytes)})`,
    ...(s.mcuformerMetricBytes === null
      ? []
      : [
          `MCUFormer's search metric     ${formatInt(s.mcuformerMetricBytes)} B (D·[(N+1)(1+m) + D·m·ρ], the formula its search keeps under 320 KB; not an arena)`,
        ]),
    fitText(fit),
  ];
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

function printPatch(s: PatchSummary, fit: FitReport, json: boolean): number {
  if (json) {
    process.stdout.write(JSON.stringify({ ...s, fit: fit.fit, fitting: fit.fitting }, null, 2) + '\n');
    return 0;
  }
  const m = s.macs;
  const peak = s.paperPeakBytes;
  const totalUnclipped = m.totalLayerwise - m.stageLayerwise + m.stagePatchedUnclipped;
  const kB = (b: number) => `${formatInt(b)} B (${(b / 1024).toFixed(1)} KB)`;
  process.stdout.write(
    [
      `${s.model}: schedule patch, ${s.patches}×${s.patches} patches, stage = blocks 0-${s.split - 1} (${s.stageOps.length} ops), stage output ${s.stageOutputShape.join('×')}`,
      `largest patch input           ${s.patchInput.h}×${s.patchInput.w}`,
      `paper-metric peak             layer-wise ${kB(peak.layerwise)} -> patched ${kB(peak.patched)} (stage ${formatInt(peak.stage)} B incl. its output, rest ${formatInt(peak.rest)} B)`,
      `real arena peak               layer-wise ${kB(s.arenaBytes.layerwise)} -> patched ${kB(s.arenaBytes.patched)} (what the firmware allocates)`,
      `stage MACs                    layer-wise ${formatInt(m.stageLayerwise)} -> patched ${formatInt(m.stagePatched)} (${pct(m.stagePatched, m.stageLayerwise, 1)}); unclipped ${formatInt(m.stagePatchedUnclipped)} (${pct(m.stagePatchedUnclipped, m.stageLayerwise, 1)})`,
      `overall MACs                  layer-wise ${formatInt(m.totalLayerwise)} -> patched ${formatInt(m.totalPatched)} (${pct(m.totalPatched, m.totalLayerwise, 1)}); unclipped ${pct(totalUnclipped, m.totalLayerwise, 1)}`,
      'Patched MACs count each pixel a patch computes with its full k×k taps, as the layer-wise count does;',
      'regions are clipped at the feature-map borders, so border patches compute less. "Unclipped" counts every',
      "patch as if its receptive field never met a border (padding computed like data), as MCUNetV2's +42% stage figure does.",
      fitText(fit),
      '',
    ].join('\n'),
  );
  return 0;
}

function printStream(s: StreamSummary, fit: FitReport, json: boolean): number {
  if (json) {
    process.stdout.write(JSON.stringify({ ...s, fit: fit.fit, fitting: fit.fitting }, null, 2) + '\n');
    return 0;
  }
  const m = s.macs;
  const a = s.arenaBytes;
  process.stdout.write(
    [
      `${s.model}: schedule ${s.schedule}, ${s.patches}×${s.patches} cells, stage = blocks 0-${s.split - 1} (${s.stageOps.length} ops), stage output ${s.stageOutputShape.join('×')}`,
      `real arena peak               layer-wise ${formatInt(a.layerwise)} B, patch ${formatInt(a.patched)} B, ${s.schedule} ${formatInt(a.streamed)} B (stream buffers ${formatInt(s.streamBufferBytes)} B at the busiest step)`,
      `stage MACs                    layer-wise ${formatInt(m.stageLayerwise)}, patch ${formatInt(m.stagePatched)} (${pct(m.stagePatched, m.stageLayerwise, 1)}), ${s.schedule} ${formatInt(m.stageExecuted)} (${pct(m.stageExecuted, m.stageLayerwise, 1)})`,
      `overall MACs                  layer-wise ${formatInt(m.totalLayerwise)}, patch ${formatInt(m.totalPatched)} (${pct(m.totalPatched, m.totalLayerwise, 1)}), ${s.schedule} ${formatInt(m.totalExecuted)} (${pct(m.totalExecuted, m.totalLayerwise, 1)})`,
      fitText(fit),
      '',
    ].join('\n'),
  );
  return 0;
}

function printSearch(r: SearchReport, json: boolean): number {
  const status = r.chosen === null ? 1 : 0;
  if (json) {
    const out = {
      model: r.model,
      objective: r.objective,
      budget: r.budgetSource,
      flash: r.flash,
      costBasis: r.costBasis,
      candidates: r.candidates,
      chosen: r.chosen,
      front: r.front,
      msf: r.msf,
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return status;
  }
  const rows = r.front.map((c) => [
    c.label === r.chosen?.label ? '*' : '',
    c.label,
    formatInt(c.arenaBytes),
    formatInt(c.macs),
    `${c.macsRatio.toFixed(3)}×`,
    formatInt(c.paperPeakBytes),
    formatInt(c.instructions),
  ]);
  const lines = [
    `${r.model}: ${r.candidates} plans (layer-wise; patch, stream1d and stream2d at every split and grid up to ${r.maxPatches}×${r.maxPatches})`,
    `Pareto front of real arena peak vs executed MACs (layer-wise ${formatInt(r.layerwiseMacs)}):`,
    renderTable(['', 'schedule', 'arena B', 'MACs', 'vs layer-wise', 'paper peak B', 'instructions (emulated)'], rows, new Set([2, 3, 4, 5, 6])),
    '',
  ];
  if (r.chosen === null) {
    const smallest = r.front[0]!;
    lines.push(`No plan meets ${r.budgetSource}: the smallest arena is ${formatInt(smallest.arenaBytes)} B (${smallest.label}).`);
  } else {
    const chosenCost = r.costBasis === 'instructions' ? `${formatInt(r.chosenCost)} instructions (emulated)` : `${formatInt(r.chosen.macs)} MACs`;
    const basis = r.costBasis === 'instructions' ? 'measured emulated instructions (every plan within the budget has a stored row)' : 'executed MACs';
    lines.push(
      r.objective.kind === 'cost'
        ? `Chosen (least ${basis} with ${r.budgetSource}): ${r.chosen.label}, arena ${formatInt(r.chosen.arenaBytes)} B, ${chosenCost}`
        : `Chosen (smallest arena with ${r.budgetSource}): ${r.chosen.label}, arena ${formatInt(r.chosen.arenaBytes)} B, ${chosenCost}`,
    );
  }
  if (r.flash !== null && !r.flash.fits) {
    lines.push(
      `Flash: ${formatInt(r.flash.neededBytes)} B needed (weights and input), ${r.flash.board} has ${formatInt(r.flash.availableBytes)} B: no schedule fits it, every schedule keeps all the weights in flash.`,
    );
  }
  if (r.msf.length > 0) {
    lines.push(
      '',
      "msf-CNN's published plans (their RAM metric: layer input + output, input image excluded, no arena layout) vs the smallest real arena here at no more MACs:",
    );
    for (const m of r.msf) {
      const ours = m.best === null ? 'no plan at that MAC count' : `${formatInt(m.best.arenaBytes)} B at ${formatInt(m.best.macs)} MACs (${m.best.label})`;
      lines.push(
        `  ${m.label.padEnd(24)} msf-CNN ${formatInt(m.ramBytes)} B at ${formatInt(m.macs)} MACs; rig ${ours}: ${m.asGood ? 'as good or better' : 'not reached'}`,
      );
    }
    if (r.msf.some((m) => !m.asGood)) {
      lines.push(
        `Not reached where msf-CNN's RAM is below ${formatInt(r.front[0]!.arenaBytes)} B, the smallest arena of any plan here at any MAC count: rig cuts the network once`,
        '(the stage output is held whole and the rest runs layer-wise) and its arena holds the input patch and every live buffer, to the byte;',
        'msf-CNN fuses across the network down to one output pixel per tile with a column cache, and its metric leaves out the input image.',
      );
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
  return status;
}
