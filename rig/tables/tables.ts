// The papers' tables: the published figures beside the rig's and the difference. Analytic
// columns come from the plans, as rig plan and rig models compute them; measured columns from the
// results database, for one board, runner and seed, and say so. The table builders are pure:
// `paperTable` reads the store and hands them its rows.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { planFor } from '../bench/bench.js';
import { resolveLabBoard } from '../config/lab.js';
import type { Board } from '../config/board.js';
import { loadModel, tfliteModelName } from '../config/model.js';
import { DEFAULTS } from '../defaults.js';
import type { Model } from '../model/ir.js';
import { MCUFORMER, PUBLISHED, RELEASED_TFLITE, STREAMNET } from '../model/published.js';
import { TRANSFORMERS } from '../model/zoo.js';
import { mcuformerSummary } from '../planning/plan.js';
import { DEFAULT_TOKEN_ROWS } from '../schedule/mcuformer.js';
import { msfComparison } from '../planning/search.js';
import type { ResultRow, RunnerKind } from '../results/row.js';
import { analyze, msfPeakBytes, paperPeakBytes } from '../schedule/analysis.js';
import { planLayerwise } from '../schedule/layerwise.js';
import { planPatches, planPatchSchedule } from '../schedule/patch.js';
import { CNN_SCHEDULES, scheduleLabel, type Plan, type ScheduleName } from '../schedule/plan.js';
import { candidateKey, enumerateCandidates } from '../schedule/search.js';
import { Store } from '../store/db.js';
import { UserError } from '../util/errors.js';
import { formatInt, pct } from '../util/format.js';
import { progress } from '../util/log.js';
import { geomean } from '../util/stats.js';
import { RUNNER_UNIT, unitLabel } from '../util/units.js';
import { diff, int, MISSING, percent, points, ratio, text, type Cell, type Column, type PaperTable, type Row } from './paper-table.js';
import { printedFigure } from './published.js';

/** The stored rows a measured column reads: one board, runner and seed. */
export interface MeasuredSource {
  readonly db: string;
  readonly board: string;
  readonly runner: RunnerKind;
  readonly seed: number;
  /** Whether the database file exists (a missing one is not created). */
  readonly found: boolean;
}

/** The `ok` rows of one model for the source's board, runner and seed, newest first. */
export type StoredRows = (model: string) => readonly ResultRow[];

const ANALYTIC = 'analytic (rig plan)';
const where = (src: MeasuredSource) => `${src.board} ${src.runner}`;

/** The newest stored row of a plan: the same schedule and options, latency in the runner's unit. */
function storedRow(rows: readonly ResultRow[], schedule: string, options: Readonly<Record<string, number>>, runner: RunnerKind): ResultRow | undefined {
  const key = candidateKey(schedule, options);
  return rows.find((r) => candidateKey(r.schedule, r.scheduleOptions) === key && r.latency?.unit === RUNNER_UNIT[runner]);
}

/** The rig bench command that stores the missing rows for this source. */
function benchHint(src: MeasuredSource, schedules = '', model = 'zoo'): string {
  const parts = ['rig bench'];
  if (src.runner === 'hardware') parts.push(`--board ${src.board}`);
  else if (src.board !== DEFAULTS.board) parts.push(`--board ${src.board} --emulate`);
  parts.push(`--model ${model}`);
  if (schedules !== '') parts.push(schedules);
  if (src.seed !== DEFAULTS.seed) parts.push(`--seed ${src.seed}`);
  if (src.db !== DEFAULTS.db) parts.push(`--db ${src.db}`);
  return `\`${parts.join(' ')}\``;
}

function measuredNote(src: MeasuredSource, what: string, hint: string): string {
  if (!src.found) return `Measured columns: no results database at ${src.db}, so every one is "-"; ${hint} stores them.`;
  return `Measured columns: ${what} stored in ${src.db} for board ${src.board}, runner ${src.runner}, seed ${src.seed} (run ids in the stored-run column); "-" where none is stored: ${hint} stores them.`;
}

const published = (value: number, shown: string): Cell => ({ value, text: shown });
const millions = (n: number, digits: number): Cell => published(Math.round(n), `${(n / 1e6).toFixed(digits)}M`);
/** A published MAC or parameter count as its source prints it. */
function asPrinted(p: Parameters<typeof printedFigure>[0], quantity: Parameters<typeof printedFigure>[1]): Cell {
  const figure = printedFigure(p, quantity);
  return figure === null ? MISSING : published(Math.round(figure.value), figure.text);
}
const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
/** An exact count against a published one: the signed difference and in percent. */
function countDiff(value: number, reference: number): Cell {
  const d = value - reference;
  return { value: d, text: `${d > 0 ? '+' : ''}${formatInt(d)} (${pct(value, reference, 2)})` };
}

/** The MCUNet zoo's released .tflite files, as `rig tables mcunet-zoo --tflite-dir DIR` found them. */
export interface ReleasedFiles {
  /** The folder given (--tflite-dir), or null when none was. */
  readonly dir: string | null;
  /** Each zoo network's released file imported (its real weights), by the network's name; a file not in the folder is absent. */
  readonly models: ReadonlyMap<string, Model>;
}

export const NO_RELEASED_FILES: ReleasedFiles = { dir: null, models: new Map() };

/** The name of a zoo network's released file, and the model name its stored rows carry. */
function releasedFile(network: string): { file: string; model: string } {
  const file = RELEASED_TFLITE.get(network);
  if (file === undefined) throw new Error(`no released TFLite file is known for ${network}`);
  return { file, model: tfliteModelName(file) };
}

/** Names joined as a sentence lists them: "a", "a and b", "a, b and c". */
function listed(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * MCUNet's zoo: MACs and params against the published table, the rig's arena and image against
 * TinyEngine's on-board SRAM and flash; beside them the released .tflite files (real weights): their
 * layer-wise arena (analytic, when `released` has the file) and their image flash (measured, from
 * the stored rows of the model named after the file). `board` is the measured columns' board.
 */
export function mcunetZooTable(
  models: readonly Model[],
  stored: StoredRows,
  src: MeasuredSource,
  released: ReleasedFiles = NO_RELEASED_FILES,
  board?: Pick<Board, 'id' | 'flashBytes'>,
): PaperTable {
  const columns: Column[] = [
    { key: 'model', header: 'model' },
    { key: 'releasedFile', header: 'released file (MCUNet zoo)' },
    { key: 'macsPublished', header: 'MACs: published', numeric: true },
    { key: 'macs', header: `MACs: ${ANALYTIC}`, numeric: true },
    { key: 'macsDiff', header: 'MACs: difference', numeric: true },
    { key: 'paramsPublished', header: 'params: published', numeric: true },
    { key: 'params', header: `params: ${ANALYTIC}`, numeric: true },
    { key: 'paramsDiff', header: 'params: difference', numeric: true },
    { key: 'sramPublishedKB', header: 'SRAM kB: published (TinyEngine, on board)', numeric: true },
    { key: 'arenaPlannedBytes', header: `arena B, layer-wise: ${ANALYTIC}`, numeric: true },
    { key: 'arenaReleasedBytes', header: `arena B, layer-wise, released file: ${ANALYTIC}`, numeric: true },
    { key: 'arenaDiff', header: 'arena vs SRAM (not the same metric)', numeric: true },
    { key: 'arenaMeasuredBytes', header: `arena B, layer-wise: measured (${where(src)})`, numeric: true },
    { key: 'flashPublishedKB', header: 'flash kB: published (TinyEngine, on board)', numeric: true },
    { key: 'flashMeasuredBytes', header: `image flash B: measured (${where(src)})`, numeric: true },
    { key: 'flashReleasedBytes', header: `image flash B, released file: measured (${where(src)})`, numeric: true },
    { key: 'flashDiff', header: 'image vs flash', numeric: true },
    { key: 'flashReleasedDiff', header: 'released image vs flash', numeric: true },
    { key: 'run', header: `stored run (${where(src)})` },
    { key: 'releasedRun', header: `stored run, released file (${where(src)})` },
  ];
  const runCell = (row: ResultRow | undefined): Cell => (row === undefined ? MISSING : { value: row.runId, text: `run ${row.runId}` });
  const twins: { network: string; same: boolean }[] = [];
  const tooBig: { name: string; weightBytes: number }[] = [];
  const rows = models.map((model): Row => {
    const p = PUBLISHED.get(model.name)!;
    const f = analyze(planLayerwise(model));
    const row = storedRow(stored(model.name), 'layer', {}, src.runner);
    const flashBytes = row?.memory.flashBytes ?? null;
    const file = releasedFile(model.name);
    const imported = released.models.get(model.name);
    const rf = imported === undefined ? null : analyze(planLayerwise(imported));
    if (rf !== null) twins.push({ network: model.name, same: rf.arenaPeakBytes === f.arenaPeakBytes });
    if (board !== undefined) {
      if (f.weightBytes > board.flashBytes) tooBig.push({ name: model.name, weightBytes: f.weightBytes });
      if (rf !== null && rf.weightBytes > board.flashBytes) tooBig.push({ name: file.file, weightBytes: rf.weightBytes });
    }
    const releasedRow = storedRow(stored(file.model), 'layer', {}, src.runner);
    const releasedFlash = releasedRow?.memory.flashBytes ?? null;
    return {
      model: text(model.name),
      releasedFile: text(file.file),
      macsPublished: asPrinted(p, 'macs'),
      macs: int(f.macs),
      macsDiff: diff(f.macs, p.macs),
      paramsPublished: asPrinted(p, 'params'),
      params: int(f.params),
      paramsDiff: diff(f.params, p.params),
      sramPublishedKB: published(p.sramKB!, `${p.sramKB}`),
      arenaPlannedBytes: int(f.arenaPeakBytes),
      arenaReleasedBytes: int(rf?.arenaPeakBytes),
      arenaDiff: diff(f.arenaPeakBytes, p.sramKB! * 1024),
      arenaMeasuredBytes: int(row?.memory.measuredArenaBytes),
      flashPublishedKB: published(p.flashKB!, `${p.flashKB}`),
      flashMeasuredBytes: int(flashBytes),
      flashReleasedBytes: int(releasedFlash),
      flashDiff: diff(flashBytes, p.flashKB! * 1024),
      flashReleasedDiff: diff(releasedFlash, p.flashKB! * 1024),
      run: runCell(row),
      releasedRun: runCell(releasedRow),
    };
  });
  const missing = models.filter((m) => !released.models.has(m.name)).map((m) => releasedFile(m.name).file);
  const differing = twins.filter((t) => !t.same).map((t) => t.network);
  const example = releasedFile((models.find((m) => m.name === 'mcunet-in0') ?? models[0])?.name ?? 'mcunet-in0');
  const releasedNote =
    released.dir === null
      ? `Released files: no --tflite-dir given, so the released file's arena is "-"; \`rig tables mcunet-zoo --tflite-dir DIR\`, DIR the folder holding the MCUNet zoo's int8 .tflite files named in the released-file column, fills it.`
      : [
          `Released files: the MCUNet zoo's int8 .tflite files (real weights) read from ${released.dir}, each imported as \`rig plan --model ${join(released.dir, example.file)}\` imports it; arena: ${ANALYTIC}, the layer-wise plan's real arena of the imported file, to the byte.`,
          twins.length === 0
            ? ''
            : differing.length === 0
              ? twins.length === 1
                ? " It equals the seeded twin's."
                : ` Each of the ${twins.length} equals its seeded twin's.`
              : ` It differs from the seeded twin's for ${listed(differing)}.`,
          missing.length === 0 ? '' : ` Not in ${released.dir}, so "-": ${listed(missing)}.`,
        ].join('');
  const releasedBench = benchHint(src, '--schedule layer', released.dir === null ? `DIR/${example.file}` : join(released.dir, example.file));
  const notes = [
    'Published: the MCUNet model zoo (mit-han-lab/mcunet README; int8, TinyEngine on an STM32F746), MACs and params rounded to 0.1M and 0.01M.',
    `MACs and params: ${ANALYTIC} of the built-in networks (seeded weights), counted as the papers count them (convolutions and the classifier; params in PyTorch's count, BatchNorm γ and β included); arena: the layer-wise plan's real arena, to the byte.`,
    releasedNote,
    "The published SRAM and flash are TinyEngine's on-board figures (kB taken as 1024 B here), which the architecture does not determine: not the same metric as the rig's arena (activations only, to the byte) or its image (rig's kernels, weights, the benchmark input), so their differences compare two systems, not an error.",
    measuredNote(src, 'the newest ok layer-wise row of each network', benchHint(src, '--schedule layer')),
    src.found
      ? `Released file's image flash and stored run: the newest ok layer-wise row of the model named after the file (${example.model} for ${example.file}, as rig bench names an imported file), from the same database, board, runner and seed; "-" where none is stored: ${releasedBench} stores one (one --model per file).`
      : `Released file's image flash: ${releasedBench} stores it (one --model per file), in the model named after the file (${example.model}).`,
  ];
  if (tooBig.length > 0 && board !== undefined)
    notes.push(
      `${listed(tooBig.map((t) => `${t.name}'s weights (${formatInt(t.weightBytes)} B)`))} exceed ${board.id}'s ${formatInt(board.flashBytes)} B of flash whatever the schedule (the weights are in flash): rig bench refuses ${tooBig.length === 1 ? 'it' : 'them'} before building (a does-not-fit row), so ${tooBig.length === 1 ? 'its' : 'their'} measured columns stay "-".`,
    );
  return {
    name: 'mcunet-zoo',
    title: 'MCUNet model zoo: published vs rig',
    columns,
    rows,
    notes,
    measuredFrom: src,
    releasedFrom: { dir: released.dir, missing: released.dir === null ? [] : missing },
  };
}

/** MCUNetV2's Table 1: MobileNetV2 with patch-based inference over the first `split` spec blocks. */
export function mcunetV2Table1(model: Model, split: number): PaperTable {
  const pub = PUBLISHED.get(model.name)?.patchTable;
  if (pub === undefined) throw new Error(`no published Table 1 figures for ${model.name}`);
  const options = { patches: pub.patches, split };
  const pp = planPatches(model, options);
  // MCUNetV2's per-patch peak is the whole network's with the patch stage: the larger of the
  // stage's own peak (one patch, plus the whole stage output) and the rest's, layer-wise.
  const peak = { layerwise: paperPeakBytes(model), patched: pp.paperPeakBytes, stage: pp.stagePaperPeakBytes, rest: pp.restPaperPeakBytes };
  const arena = { layerwise: planLayerwise(model).arenaBytes, patched: planPatchSchedule(model, options).arenaBytes };
  const m = pp.macs;
  const stage = { layerwise: m.stageLayerwise, clipped: m.stagePatched, unclipped: m.stagePatchedUnclipped };
  const total = { layerwise: m.totalLayerwise, clipped: m.totalPatched, unclipped: m.totalLayerwise - m.stageLayerwise + m.stagePatchedUnclipped };
  const overhead = (x: { layerwise: number; clipped: number; unclipped: number }) => ({
    clipped: x.clipped / x.layerwise - 1,
    unclipped: x.unclipped / x.layerwise - 1,
  });
  const signedPct = (f: number) => `${f >= 0 ? '+' : '-'}${Math.abs(f * 100).toFixed(1)}%`;
  const both = (f: (k: 'clipped' | 'unclipped') => string) => `${f('clipped')} clipped; ${f('unclipped')} unclipped`;
  const macsRow = (id: string, quantity: string, pubMacs: number, x: typeof stage): Row => ({
    id: text(id),
    quantity: text(`${quantity} (layer-wise ${formatInt(x.layerwise)})`),
    published: millions(pubMacs, 0),
    rig: { value: x, text: both((k) => formatInt(x[k])) },
    difference: { value: { clipped: x.clipped / pubMacs - 1, unclipped: x.unclipped / pubMacs - 1 }, text: both((k) => pct(x[k], pubMacs, 1)) },
    source: text(ANALYTIC),
  });
  const overheadRow = (id: string, quantity: string, pubOverhead: number, x: typeof stage): Row => {
    const o = overhead(x);
    return {
      id: text(id),
      quantity: text(quantity),
      published: published(pubOverhead, `+${Math.round(pubOverhead * 100)}%`),
      rig: { value: o, text: both((k) => signedPct(o[k])) },
      difference: { value: { clipped: o.clipped - pubOverhead, unclipped: o.unclipped - pubOverhead }, text: both((k) => points(o[k], pubOverhead)) },
      source: text(ANALYTIC),
    };
  };
  const reduction = peak.layerwise / peak.patched;
  const stageOut = model.tensors[pp.stageOutput]!.shape;
  const rows: Row[] = [
    {
      id: text('peak'),
      quantity: text(`peak memory of the whole network, per-layer → with the ${pub.patches}×${pub.patches} patch stage (MCUNetV2 metric, kB = 1024 B)`),
      published: { value: { layerwiseKB: pub.layerwisePeakKB, patchKB: pub.patchPeakKB }, text: `${pub.layerwisePeakKB} kB → ${pub.patchPeakKB} kB` },
      rig: {
        value: { layerwiseBytes: peak.layerwise, patchBytes: peak.patched },
        text: `${kB(peak.layerwise)} → ${kB(peak.patched)} (${formatInt(peak.layerwise)} B → ${formatInt(peak.patched)} B)`,
      },
      difference: {
        value: { layerwise: peak.layerwise / 1024 / pub.layerwisePeakKB - 1, patch: peak.patched / 1024 / pub.patchPeakKB - 1 },
        text: `${pct(peak.layerwise / 1024, pub.layerwisePeakKB, 1)} → ${pct(peak.patched / 1024, pub.patchPeakKB, 1)} (published kB rounded)`,
      },
      source: text(ANALYTIC),
    },
    {
      id: text('stagePeak'),
      quantity: text("the patch stage's own peak: one patch's largest layer input + output, plus the whole stage output (MCUNetV2 metric)"),
      published: MISSING,
      rig: {
        value: { stageBytes: peak.stage, restBytes: peak.rest },
        text: `${kB(peak.stage)} (${formatInt(peak.stage)} B); the rest, layer-wise: ${formatInt(peak.rest)} B${peak.rest >= peak.stage ? ", the network's peak" : ''}`,
      },
      difference: MISSING,
      source: text(ANALYTIC),
    },
    {
      id: text('reduction'),
      quantity: text('peak memory reduction'),
      published: published(pub.peakReduction, `${pub.peakReduction}×`),
      rig: ratio(reduction, 2),
      difference: diff(reduction, pub.peakReduction),
      source: text(ANALYTIC),
    },
    {
      id: text('patchInput'),
      quantity: text('largest patch input'),
      published: { value: pub.patchInput, text: `${pub.patchInput.h}×${pub.patchInput.w}` },
      rig: { value: pp.patchInput, text: `${pp.patchInput.h}×${pp.patchInput.w}` },
      difference:
        pp.patchInput.h === pub.patchInput.h && pp.patchInput.w === pub.patchInput.w
          ? { value: 0, text: 'same' }
          : { value: pp.patchInput.h * pp.patchInput.w - pub.patchInput.h * pub.patchInput.w, text: 'differs' },
      source: text(ANALYTIC),
    },
    macsRow('stageMacs', 'patch-stage MACs, patch-based', pub.stageMacs, stage),
    macsRow('totalMacs', 'overall MACs, patch-based', pub.totalMacs, total),
    overheadRow('stageOverhead', 'patch-stage MAC overhead', pub.stageMacOverhead, stage),
    overheadRow('totalOverhead', 'overall MAC overhead', pub.totalMacOverhead, total),
    {
      id: text('arena'),
      quantity: text('real arena, layer-wise → patched (what the firmware allocates)'),
      published: MISSING,
      rig: {
        value: { layerwiseBytes: arena.layerwise, patchBytes: arena.patched },
        text: `${formatInt(arena.layerwise)} B → ${formatInt(arena.patched)} B (${(arena.layerwise / arena.patched).toFixed(2)}×)`,
      },
      difference: MISSING,
      source: text(ANALYTIC),
    },
  ];
  const weights = analyze(planLayerwise(model)).weightBytes;
  return {
    name: 'mcunetv2-table1',
    title: `MCUNetV2 Table 1: ${model.name}, ${pub.patches}×${pub.patches} patches, patch stage = spec blocks 0-${split - 1} (output ${stageOut.join('×')})`,
    columns: [
      { key: 'quantity', header: 'quantity' },
      { key: 'published', header: 'MCUNetV2: published' },
      { key: 'rig', header: `rig: ${ANALYTIC}` },
      { key: 'difference', header: 'difference' },
      { key: 'source', header: 'rig source' },
    ],
    rows,
    notes: [
      `Published: ${pub.source}, MobileNetV2 (width 1.0, 224×224); its peaks are in its own metric (the largest layer input + output in int8 bytes, depthwise in place), kB = 1024 B, rounded: ${formatInt(peak.patched)} B is ${kB(peak.patched)}, printed as ${pub.patchPeakKB} kB.`,
      `Its per-patch peak is the whole network's with the patch stage: the larger of the stage's own peak (${formatInt(peak.stage)} B: one patch's largest layer input + output, plus the whole stage output) and the rest of the network's, layer-wise (${formatInt(peak.rest)} B). Here the ${peak.rest >= peak.stage ? 'rest' : 'stage'} sets it; MCUNetV2's Table 1 gives no figure for the stage alone.`,
      `Rig: \`rig plan --model ${model.name} --schedule patch --patches ${pub.patches} --split ${split}\` (the stem and the first ${split - 1} inverted residuals); the real arena is what the firmware allocates, to the byte, a different quantity from the paper metric.`,
      "Clipped MACs count what the patches execute (receptive fields clipped at the feature-map borders, so border patches compute less); unclipped counts every patch as if it never met a border, padding computed like data. MCUNetV2's +42% matches the unclipped stage; its +10% overall lies between the two.",
      `Nothing here is measured: the network's weights (${formatInt(weights)} B in flash, ${ANALYTIC}) exceed the 1 MB of flash of either board.`,
    ],
  };
}

/** msf-CNN's three networks: MACs and layer-wise peaks against the paper, and its fused plans against the rig's search. */
export function msfCnnTable(models: readonly Model[]): PaperTable {
  const maxPatches = DEFAULTS.maxPatches;
  let planned = 0;
  const rows = models.flatMap((model): Row[] => {
    const p = PUBLISHED.get(model.name)!;
    const layer = planLayerwise(model);
    const theirs = p.msfLayerwisePeakBytes!;
    const ours = msfPeakBytes(model);
    progress(`${model.name}: planning every schedule, split and grid up to ${maxPatches}×${maxPatches}`);
    const candidates = enumerateCandidates(model, { maxPatches });
    planned = candidates.length;
    const network = text(model.name);
    return [
      {
        network,
        quantity: text('MACs, layer-wise'),
        published: int(p.macs),
        rig: int(layer.macs),
        difference: countDiff(layer.macs, p.macs!),
        source: text(ANALYTIC),
      },
      {
        network,
        quantity: text("layer-wise peak B, msf-CNN's metric"),
        published: int(theirs),
        rig: int(ours),
        difference: countDiff(ours, theirs),
        source: text(`${ANALYTIC}, in msf-CNN's metric`),
      },
      {
        network,
        quantity: text("layer-wise peak B: rig's real arena vs msf-CNN's metric"),
        published: int(theirs),
        rig: int(layer.arenaBytes),
        difference: diff(layer.arenaBytes, theirs),
        source: text(`${ANALYTIC}: real arena, not the same metric`),
      },
      ...msfComparison(model, candidates).map((pt): Row => {
        const best = pt.best;
        return {
          network,
          quantity: text(`${pt.label}: smallest RAM at ≤ ${(pt.macs / layer.macs).toFixed(3)}× layer-wise MACs`),
          published: { value: { ramBytes: pt.ramBytes, macs: pt.macs }, text: `${formatInt(pt.ramBytes)} B at ${formatInt(pt.macs)} MACs` },
          rig:
            best === null
              ? MISSING
              : {
                  value: { arenaBytes: best.arenaBytes, macs: best.macs, schedule: best.schedule, options: best.options },
                  text: `${formatInt(best.arenaBytes)} B at ${formatInt(best.macs)} MACs (${scheduleLabel(best.schedule, best.options)})`,
                },
          difference:
            best === null
              ? { value: { arena: null, asGood: false }, text: 'no plan at that MAC count' }
              : {
                  value: { arena: best.arenaBytes / pt.ramBytes - 1, asGood: pt.asGood },
                  text: `${pct(best.arenaBytes, pt.ramBytes, 1)}: ${pt.asGood ? 'as good or better' : 'not reached'}`,
                },
          source: text(`${ANALYTIC}: smallest real arena of ${formatInt(candidates.length)} plans`),
        };
      }),
    ];
  });
  return {
    name: 'msf-cnn',
    title: "msf-CNN's networks: published vs rig",
    columns: [
      { key: 'network', header: 'network' },
      { key: 'quantity', header: 'quantity' },
      { key: 'published', header: 'msf-CNN: published', numeric: true },
      { key: 'rig', header: 'rig', numeric: true },
      { key: 'difference', header: 'difference', numeric: true },
      { key: 'source', header: 'rig source' },
    ],
    rows,
    notes: [
      "Published: msf-CNN (NeurIPS 2025, TinyPART/msf-CNN), its networks as it counts them (every block 1×1 expand → depthwise → 1×1 project, no residual adds, no classifier). Its RAM metric: a layer's input + output bytes, depthwise not in place, the input image left out of the first layer; the rig recomputes it from its own layer list.",
      `Rig points: layer-wise, and patch, stream1d and stream2d at every split and grid up to ${maxPatches}×${maxPatches} (${formatInt(planned)} plans for the last network), each planned for real; for each published point, the smallest real arena (to the byte: the input patch and every live buffer) at no more MACs than the point, as \`rig plan --model NAME --objective memory --mac-budget R\` reports.`,
      "Not reached: the rig cuts the network once (the stage output is held whole, the rest runs layer-wise), so its smallest arena at any MAC count is the rest's; msf-CNN fuses across the whole network down to one output pixel per tile with a column cache, and counts RAM in its metric, not as an arena layout.",
    ],
  };
}

/** StreamNet's comparison: MACs of every schedule, measured latency where stored, stream2d against patch-based. */
export function streamnetTable(models: readonly Model[], stored: StoredRows, src: MeasuredSource): PaperTable {
  const unit = unitLabel(RUNNER_UNIT[src.runner]);
  const per = models.map((model) => {
    const plans = new Map<ScheduleName, Plan>(CNN_SCHEDULES.map((schedule) => [schedule, planFor({ model, schedule })]));
    const plan = (s: ScheduleName) => plans.get(s)!;
    const rows = stored(model.name);
    const found = new Map<ScheduleName, ResultRow | undefined>(CNN_SCHEDULES.map((s) => [s, storedRow(rows, s, plan(s).options, src.runner)]));
    const latency = (s: ScheduleName) => found.get(s)?.latency?.median ?? null;
    const patch = latency('patch');
    const stream = latency('stream2d');
    return {
      model,
      plan,
      found,
      latency,
      macRatio: plan('stream2d').macs / plan('patch').macs,
      speedup: patch === null || stream === null ? null : patch / stream,
    };
  });
  const columns: Column[] = [
    { key: 'model', header: 'model' },
    { key: 'cells', header: 'cells (patch, stream1d, stream2d)' },
    ...CNN_SCHEDULES.map((s) => ({ key: `macs_${s}`, header: `MACs ${s}: ${ANALYTIC}`, numeric: true })),
    ...CNN_SCHEDULES.map((s) => ({ key: `latency_${s}`, header: `${s}: ${unit}, measured (${where(src)})`, numeric: true })),
    { key: 'runs', header: `stored runs (${where(src)})` },
    { key: 'macsSaved', header: `MACs saved by stream2d vs patch: ${ANALYTIC}`, numeric: true },
    { key: 'macsSavedPublished', header: 'MACs saved: StreamNet, published', numeric: true },
    { key: 'speedup', header: `patch / stream2d ${unit}: measured (${where(src)})`, numeric: true },
    { key: 'speedupPublished', header: 'patch / stream2d latency: StreamNet, published', numeric: true },
  ];
  const runsCell = (found: ReadonlyMap<string, ResultRow | undefined>): Cell => {
    const ids = CNN_SCHEDULES.map((s) => [s, found.get(s)?.runId ?? null] as const);
    const present = ids.filter(([, id]) => id !== null);
    if (present.length === 0) return MISSING;
    const distinct = new Set(present.map(([, id]) => id));
    const shown = distinct.size === 1 && present.length === CNN_SCHEDULES.length ? `run ${present[0]![1]}` : present.map(([s, id]) => `${s} ${id}`).join(', ');
    return { value: Object.fromEntries(ids), text: shown };
  };
  const rows: Row[] = per.map((n) => {
    const o = n.plan('patch').options;
    return {
      model: text(n.model.name),
      cells: { value: o, text: `${o['patches']}×${o['patches']} split ${o['split']}` },
      ...Object.fromEntries(CNN_SCHEDULES.map((s) => [`macs_${s}`, int(n.plan(s).macs)])),
      ...Object.fromEntries(CNN_SCHEDULES.map((s) => [`latency_${s}`, int(n.latency(s))])),
      runs: runsCell(n.found),
      macsSaved: percent(1 - n.macRatio),
      macsSavedPublished: MISSING,
      speedup: ratio(n.speedup),
      speedupPublished: MISSING,
    };
  });
  const savedMean = 1 - geomean(per.map((n) => n.macRatio));
  const speedups = per.flatMap((n) => (n.speedup === null ? [] : [n.speedup]));
  const speedupMean = speedups.length === 0 ? null : geomean(speedups);
  const speedupCell =
    speedupMean === null
      ? MISSING
      : { value: speedupMean, text: `${speedupMean.toFixed(3)}×${speedups.length < per.length ? ` (${speedups.length} of ${per.length})` : ''}` };
  rows.push(
    {
      model: text('geometric mean'),
      macsSaved: percent(savedMean),
      macsSavedPublished: percent(STREAMNET.macSaving, 0),
      speedup: speedupCell,
      speedupPublished: ratio(STREAMNET.speedup, 1),
    },
    {
      model: text('difference (rig vs StreamNet)'),
      macsSaved: { value: savedMean - STREAMNET.macSaving, text: points(savedMean, STREAMNET.macSaving) },
      speedup: speedupMean === null ? MISSING : diff(speedupMean, STREAMNET.speedup),
    },
  );
  return {
    name: 'streamnet',
    title: 'StreamNet: stream2d vs patch-based inference on the MCUNet zoo',
    columns,
    rows,
    notes: [
      `MACs: ${ANALYTIC}, of the plans \`rig bench\` runs by default (2×2 cells at the split of the smallest patch arena; stream1d and stream2d on the same stage); MACs saved = 1 − stream2d / patch, and its geometric mean over the ${per.length} networks.`,
      `Latency: ${unit}, the median of the newest ok row of each plan (the same schedule options) measured on ${src.board} under ${src.runner}; ${src.runner === 'qemu' ? 'an emulated instruction count, proportional to the work, not a time' : 'CPU cycles on silicon'}. The latency ratio and its geometric mean cover the networks with both patch and stream2d measured.`,
      measuredNote(src, 'rows', benchHint(src)),
      `Published: ${STREAMNET.source}, ${Math.round(STREAMNET.macSaving * 100)}% fewer MACs and ${STREAMNET.speedup}× faster than patch-based inference, geometric means over these ten networks on an ${STREAMNET.board}, not per network. Its patch settings per network are not published and its board is an F767: the comparison is of method, not of setup; the saving grows with the patch plan's halo recomputation (more cells, deeper stages).`,
    ],
    measuredFrom: src,
  };
}

/**
 * MCUFormer's memory schedule on rig's vision transformers: per network the parameters and MACs,
 * the layer-wise and mcuformer arenas (planned, and measured where a row is stored), what each of
 * the three techniques saves, MCUFormer's own search metric beside them, and instructions (or
 * cycles) per MAC measured.
 */
export function mcuformerTable(models: readonly Model[], stored: StoredRows, src: MeasuredSource): PaperTable {
  const unit = unitLabel(RUNNER_UNIT[src.runner]);
  const columns: Column[] = [
    { key: 'model', header: 'model' },
    { key: 'params', header: `params: ${ANALYTIC}`, numeric: true },
    { key: 'macs', header: `MACs: ${ANALYTIC}`, numeric: true },
    { key: 'weights', header: `weights in flash, bytes: ${ANALYTIC}`, numeric: true },
    { key: 'layerPlanned', header: `layer-wise arena, bytes: ${ANALYTIC}`, numeric: true },
    { key: 'layerMeasured', header: `layer-wise arena, bytes: measured (${where(src)})`, numeric: true },
    { key: 'mcuformerPlanned', header: `mcuformer arena, bytes: ${ANALYTIC}`, numeric: true },
    { key: 'mcuformerMeasured', header: `mcuformer arena, bytes: measured (${where(src)})`, numeric: true },
    { key: 'saved', header: `mcuformer vs layer-wise: ${ANALYTIC}`, numeric: true },
    { key: 'integrate', header: 'saved by operator integration, bytes', numeric: true },
    { key: 'overwrite', header: 'saved by token overwriting, bytes', numeric: true },
    { key: 'decompose', header: 'saved by patch embedding decomposition, bytes', numeric: true },
    { key: 'metric', header: "MCUFormer's search metric D·[(N+1)(1+m) + D·m·ρ], bytes", numeric: true },
    { key: 'perMacLayer', header: `layer-wise ${unit} per MAC: measured (${where(src)})`, numeric: true },
    { key: 'perMacMcuformer', header: `mcuformer ${unit} per MAC: measured (${where(src)})`, numeric: true },
    { key: 'runs', header: `stored runs (${where(src)})` },
  ];
  const rows: Row[] = models.map((model) => {
    const summary = mcuformerSummary(model);
    const layer = planLayerwise(model);
    const mcuformer = planFor({ model, schedule: 'mcuformer' });
    const figures = analyze(layer);
    const rowsOf = stored(model.name);
    const layerRow = storedRow(rowsOf, 'layer', layer.options, src.runner);
    const mcuformerRow = storedRow(rowsOf, 'mcuformer', mcuformer.options, src.runner);
    const perMac = (r: ResultRow | undefined, plan: Plan): Cell =>
      r?.latency === null || r === undefined ? MISSING : { value: r.latency.median / plan.macs, text: (r.latency.median / plan.macs).toFixed(2) };
    const saving = (t: string) => int(summary.techniques.find((x) => x.technique === t)?.savedBytes);
    const runs = [layerRow, mcuformerRow].flatMap((r) => (r === undefined ? [] : [`${r.schedule} ${r.runId}`]));
    return {
      model: text(model.name),
      params: int(figures.params),
      macs: int(figures.macs),
      weights: int(figures.weightBytes),
      layerPlanned: int(layer.arenaBytes),
      layerMeasured: int(layerRow?.memory.measuredArenaBytes),
      mcuformerPlanned: int(mcuformer.arenaBytes),
      mcuformerMeasured: int(mcuformerRow?.memory.measuredArenaBytes),
      saved: diff(mcuformer.arenaBytes, layer.arenaBytes),
      integrate: saving('integrate'),
      overwrite: saving('overwrite'),
      decompose: saving('decompose'),
      metric: int(summary.mcuformerMetricBytes),
      perMacLayer: perMac(layerRow, layer),
      perMacMcuformer: perMac(mcuformerRow, mcuformer),
      runs: runs.length === 0 ? MISSING : text(runs.join(', ')),
    };
  });
  return {
    name: 'mcuformer',
    title: 'MCUFormer: vision transformers under its memory schedule against layer-wise',
    columns,
    rows,
    notes: [
      `Arenas: ${ANALYTIC}, the bytes the firmware allocates for every tensor, block and scratch buffer; measured, the arena's high-water mark painted on the device (it equals the plan's in every ok row). Layer-wise holds every tensor whole (token matrices, Q/K/V, every head's T×T scores, the whole MLP hidden layer) and the whole image.`,
      `What each technique saves: ${ANALYTIC}, the techniques added to layer-wise one at a time in this order (operator integration: attention and the MLP a block of ${DEFAULT_TOKEN_ROWS} token rows at a time; token overwriting: each output token written over the input token it consumed; patch embedding decomposition: the image brought in one row of patches at a time). A technique saves only where it lowers the peak step: the image matters only once the attention and the MLP are small. \`rig plan --schedule mcuformer\` also says what leaving each one out of the full schedule costs.`,
      "MCUFormer's search metric is the formula its architecture search keeps under 320 KB, D·[(N+1)(1+m) + D·m·ρ] with D the embedding dimension, N the patches, m the MLP ratio and ρ the rank ratio (1 without low-rank linears): a figure of the hyper-parameters, not an arena, and not what its engine allocates.",
      `Per MAC: the median ${unit} of the newest ok row of each schedule (${src.runner === 'qemu' ? 'emulated instructions, proportional to the work, not a time' : 'CPU cycles on silicon'}) over the plan's MACs (linear layers, Q·Kᵀ and A·V; LayerNorm, softmax, GELU and adds count none).`,
      measuredNote(src, 'rows', benchHint(src, '--schedule layer --schedule mcuformer', models.map((m) => m.name).join(' --model '))),
      `Published: ${MCUFORMER.source}, ${MCUFORMER.top1}% ImageNet top-1 within ${MCUFORMER.sramBytes / 1024} KB of SRAM on an ${MCUFORMER.board}. rig measures no accuracy (its weights are seeded, not trained); it measures memory and work. Weights that do not fit the internal flash are in external flash (the 32F746G-DISCO's QSPI; the emulated board's RAM at 0x60000000), which the row's external flash bytes record.`,
    ],
    measuredFrom: src,
  };
}

/** The MCUNet-zoo networks in the published table's order. */
const ZOO_NETWORKS = [...PUBLISHED].filter(([, p]) => p.source === 'MCUNet model zoo').map(([name]) => name);
const TABLE1_MODEL = 'mbv2-w1.0-r224';
/** The stage of MCUNetV2's Table 1 in spec blocks: the stem and the first four inverted residuals. */
const TABLE1_SPLIT = 5;
const MSF_NETWORKS = [...PUBLISHED].filter(([, p]) => p.msfPoints !== undefined).map(([name]) => name);

export const TABLE_NAMES = ['mcunet-zoo', 'mcunetv2-table1', 'msf-cnn', 'streamnet', 'mcuformer'] as const;
export type TableName = (typeof TABLE_NAMES)[number];

export interface TableRequest {
  name: TableName;
  seed: number;
  /** Where the measured columns are read: the database, and the board (an id or a lab board's name) and runner of the rows. */
  db: string;
  board: string;
  runner: RunnerKind;
  /** mcunet-zoo: the folder holding the MCUNet zoo's released .tflite files (none: their analytic column is "-"). */
  tfliteDir?: string | undefined;
}

async function loadAll(names: readonly string[], seed: number): Promise<Model[]> {
  return Promise.all(names.map((n) => loadModel(n, seed)));
}

/**
 * The released files of `networks` found in `dir`, imported (a file that does not import stops the
 * table, naming it); a folder that does not exist, or holds none of them, is an error.
 */
export async function loadReleased(dir: string | undefined, networks: readonly string[], seed: number): Promise<ReleasedFiles> {
  if (dir === undefined) return NO_RELEASED_FILES;
  const names = networks.map((n) => releasedFile(n).file);
  const expected = `the folder holding the MCUNet zoo's released int8 .tflite files (${names.slice(0, 2).join(', ')}, …)`;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`--tflite-dir ${dir}: no such folder; expected ${expected}`, { exitCode: 2 });
  const present = networks.filter((n) => existsSync(join(dir, releasedFile(n).file)));
  if (present.length === 0)
    throw new UserError(`--tflite-dir ${dir} holds none of the released files (${names.join(', ')}); expected ${expected}`, { exitCode: 2 });
  const models = await Promise.all(present.map(async (n) => [n, await loadModel(join(dir, releasedFile(n).file), seed)] as const));
  return { dir, models: new Map(models) };
}

/** Runs `build` with the stored rows of the source (none when the database does not exist; it is not created) and the board they were measured on. */
async function withStore<T>(request: TableRequest, build: (stored: StoredRows, src: MeasuredSource, board: Board) => T): Promise<T> {
  const { board } = await resolveLabBoard(request.board);
  const src: MeasuredSource = { db: request.db, board: board.id, runner: request.runner, seed: request.seed, found: existsSync(request.db) };
  if (!src.found) return build(() => [], src, board);
  // Only read: a database this process cannot write is opened read-only.
  const store = Store.existing(request.db);
  try {
    return build((model) => store.measured(model, src.board, src.runner, src.seed), src, board);
  } finally {
    store.close();
  }
}

/** One of the papers' tables, its measured columns read from the request's database. */
export async function paperTable(request: TableRequest): Promise<PaperTable> {
  if (request.tfliteDir !== undefined && request.name !== 'mcunet-zoo')
    throw new UserError(`--tflite-dir goes with rig tables mcunet-zoo (the released files of its networks), not ${request.name}`, { exitCode: 2 });
  switch (request.name) {
    case 'mcunet-zoo': {
      const models = await loadAll(ZOO_NETWORKS, request.seed);
      const released = await loadReleased(request.tfliteDir, ZOO_NETWORKS, request.seed);
      return withStore(request, (stored, src, board) => mcunetZooTable(models, stored, src, released, board));
    }
    case 'mcunetv2-table1':
      return mcunetV2Table1(await loadModel(TABLE1_MODEL, request.seed), TABLE1_SPLIT);
    case 'msf-cnn':
      return msfCnnTable(await loadAll(MSF_NETWORKS, request.seed));
    case 'streamnet': {
      const models = await loadAll(STREAMNET.models, request.seed);
      return withStore(request, (stored, src) => streamnetTable(models, stored, src));
    }
    case 'mcuformer': {
      const models = await loadAll(
        TRANSFORMERS.map((t) => t.name),
        request.seed,
      );
      return withStore(request, (stored, src) => mcuformerTable(models, stored, src));
    }
  }
}
