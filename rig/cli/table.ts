// Plain-text tables for the terminal, and the listings every command prints (text, CSV, JSON).
// Output formatting only: nothing below cli/ imports this file.
import { PUBLISHED } from '../model/published.js';
import { changePercent, kernelsOf, tally, type Change, type RowComparison } from '../results/compare.js';
import type { ResultRow } from '../results/row.js';
import { scheduleLabel } from '../schedule/plan.js';
import { UserError } from '../util/errors.js';
import { csvTable, formatInt } from '../util/format.js';
import { geomean } from '../util/stats.js';
import { unitLabel } from '../util/units.js';

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], rightAlign: ReadonlySet<number> = new Set()): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (rightAlign.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function latencyLabel(row: Pick<ResultRow, 'latency'>): string {
  if (row.latency === null) return '-';
  return unitLabel(row.latency.unit);
}

export function resultsTable(rows: readonly ResultRow[]): string {
  const headers = [
    'model',
    'schedule',
    'kernels',
    'board',
    'runner',
    'status',
    'latency unit',
    'n',
    'min',
    'median',
    'max',
    'arena planned',
    'arena measured',
    'stack',
    'flash',
    'static RAM',
    'MACs',
    'CRC device',
    'CRC reference',
  ];
  const body = rows.map((r) => [
    r.model,
    scheduleLabel(r.schedule, r.scheduleOptions),
    kernelsOf(r),
    r.board,
    r.runner,
    r.status,
    latencyLabel(r),
    formatInt(r.latency?.n),
    formatInt(r.latency?.min),
    formatInt(r.latency?.median),
    formatInt(r.latency?.max),
    formatInt(r.memory.plannedArenaBytes),
    formatInt(r.memory.measuredArenaBytes),
    formatInt(r.memory.stackBytes),
    formatInt(r.memory.flashBytes),
    formatInt(r.memory.staticRamBytes),
    formatInt(r.macs),
    r.outputCrc32 ?? '-',
    r.referenceCrc32,
  ]);
  const notes = rows.filter((r) => r.detail !== null).map((r) => `${r.model}/${scheduleLabel(r.schedule, r.scheduleOptions)} ${r.status}: ${r.detail}`);
  return [renderTable(headers, body, new Set([7, 8, 9, 10, 11, 12, 13, 14, 15, 16])), ...notes, ...tinyEngineNotes(rows)].join('\n') + '\n';
}

function tinyEngineNotes(rows: readonly ResultRow[]): string[] {
  const notes: string[] = [];
  for (const r of rows) {
    const p = PUBLISHED.get(r.model);
    const arena = `planned arena ${formatInt(r.memory.plannedArenaBytes)} B, measured ${formatInt(r.memory.measuredArenaBytes)} B`;
    if (p?.tinyEngineLayerwisePeakBytes !== undefined && r.schedule === 'layer') {
      notes.push(`${r.model}: ${arena}; TinyEngine's layer-wise plan: ${formatInt(p.tinyEngineLayerwisePeakBytes)} B`);
    }
    if (p?.tinyEnginePatch !== undefined && r.schedule === 'patch') {
      notes.push(
        `${r.model} ${scheduleLabel(r.schedule, r.scheduleOptions)}: ${arena}; TinyEngine's patch-based plan: ${formatInt(p.tinyEnginePatch.peakBytes)} B (${p.tinyEnginePatch.plan})`,
      );
    }
  }
  return notes;
}

const ratio = (value: number | null | undefined, base: number | null | undefined) =>
  value === null || value === undefined || base === null || base === undefined || base === 0 ? '-' : `${(value / base).toFixed(3)}×`;

/**
 * Schedules side by side, one line per model and schedule: real peak (planned, and whether the
 * device measured the same), paper-metric peak, executed MACs against layer-wise, and the median
 * latency against the same model's layer-wise row.
 */
export function comparisonTable(rows: readonly ResultRow[]): string {
  const unit = rows.find((r) => r.latency !== null);
  const headers = [
    'model',
    'schedule',
    'status',
    'real peak B',
    'measured',
    'paper peak B',
    'MACs',
    'MACs / layer-wise',
    `median ${unit === undefined ? 'latency' : latencyLabel(unit)}`,
    'latency / layer-wise',
  ];
  const body = rows.map((r) => {
    const layer = rows.find(
      (l) => l.model === r.model && l.schedule === 'layer' && l.runner === r.runner && l.board === r.board && kernelsOf(l) === kernelsOf(r),
    );
    const measured = r.memory.measuredArenaBytes;
    return [
      r.model,
      scheduleLabel(r.schedule, r.scheduleOptions),
      r.status,
      formatInt(r.memory.plannedArenaBytes),
      measured === null ? '-' : measured === r.memory.plannedArenaBytes ? '= planned' : formatInt(measured),
      formatInt(r.memory.paperPeakBytes),
      formatInt(r.macs),
      ratio(r.macs, r.layerwiseMacs),
      formatInt(r.latency?.median),
      ratio(r.latency?.median, layer?.latency?.median),
    ];
  });
  return renderTable(headers, body, new Set([3, 4, 5, 6, 7, 8, 9])) + '\n' + streamVsPatch(rows);
}

/**
 * StreamNet's comparison, per model with ok patch and stream2d rows: the network MACs stream2d
 * saves against patch-based, and patch's latency over stream2d's; then both as geometric means.
 */
function streamVsPatch(rows: readonly ResultRow[]): string {
  const pairs = [...new Set(rows.map((r) => r.model))].flatMap((model) => {
    const find = (schedule: string) => rows.find((r) => r.model === model && r.schedule === schedule && r.status === 'ok' && r.latency !== null);
    const patch = find('patch');
    const stream = find('stream2d');
    return patch && stream ? [{ model, patch, stream, macRatio: stream.macs / patch.macs, speedup: patch.latency!.median / stream.latency!.median }] : [];
  });
  if (pairs.length === 0) return '';
  const body = pairs.map((p) => [
    p.model,
    scheduleLabel(p.patch.schedule, p.patch.scheduleOptions),
    scheduleLabel(p.stream.schedule, p.stream.scheduleOptions),
    `${((1 - p.macRatio) * 100).toFixed(1)}%`,
    `${p.speedup.toFixed(3)}×`,
  ]);
  body.push([
    'geometric mean',
    '',
    '',
    `${((1 - geomean(pairs.map((p) => p.macRatio))) * 100).toFixed(1)}%`,
    `${geomean(pairs.map((p) => p.speedup)).toFixed(3)}×`,
  ]);
  return (
    '\n' +
    renderTable(['model', 'patch', 'stream2d', 'MACs saved by stream2d', 'patch / stream2d latency'], body, new Set([3, 4])) +
    '\n(StreamNet reports 81% of MACs saved and 7.3× faster as geometric means over ten MCUNet-zoo networks on an STM32F767; the saving grows with the halo recomputation of the patch plan: more patches, deeper stages.)\n'
  );
}

/** A table cell before formatting: numbers stay numbers until the output format is known. */
export type Cell = string | number | null;
export type OutputFormat = 'text' | 'json' | 'csv';

/** `--json` or `--csv` (not both), else text. */
export function outputFormat(args: { json?: boolean | undefined; csv?: boolean | undefined }): OutputFormat {
  if (args.json === true && args.csv === true) throw new UserError('--json and --csv go one at a time', { exitCode: 2 });
  return args.json === true ? 'json' : args.csv === true ? 'csv' : 'text';
}

/** Cells for the terminal: integers grouped, null as "-". */
export function textTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const numeric = new Set(headers.map((_, i) => i).filter((i) => rows.some((r) => typeof r[i] === 'number') && rows.every((r) => typeof r[i] !== 'string')));
  return renderTable(
    headers,
    rows.map((r) => r.map((c) => (typeof c === 'number' ? formatInt(c) : (c ?? '-')))),
    numeric,
  );
}

/** A listing on stdout: the table (with `notes` under it), its CSV, or `json` as JSON. */
export function printListing(
  format: OutputFormat,
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  json: unknown,
  notes: readonly string[] = [],
): void {
  if (format === 'json') process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  else if (format === 'csv') process.stdout.write(csvTable(headers, rows));
  else process.stdout.write([textTable(headers, rows), ...notes].join('\n') + '\n');
}

/** A result row's columns, for `rig results` and `rig bench --csv`. */
export const RESULT_HEADERS = [
  'run',
  'model',
  'schedule',
  'kernels',
  'board',
  'runner',
  'status',
  'latency unit',
  'median',
  'min',
  'max',
  'arena planned B',
  'arena measured B',
  'flash B',
  'MACs',
  'detail',
];

export function resultCells(r: ResultRow): Cell[] {
  return [
    r.runId,
    r.model,
    scheduleLabel(r.schedule, r.scheduleOptions),
    kernelsOf(r),
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

const COMPARE_HEADERS = [
  'model',
  'schedule',
  'kernels',
  'board',
  'runner',
  'status before',
  'status now',
  'latency unit',
  'median before',
  'median now',
  'median change',
  'arena before B',
  'arena now B',
  'arena change B',
  'flash change B',
  'MACs change',
  'verdict',
  'why',
];

const delta = (c: Change) => (c.baseline === null || c.current === null ? null : c.current - c.baseline);

export function comparisonCells(c: RowComparison): Cell[] {
  return [
    c.model,
    c.schedule,
    c.kernels,
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

/** The case-by-case comparison in the chosen format, with the rule latencies were judged by (rig compare, rig nightly). */
export function printComparison(format: OutputFormat, comparisons: readonly RowComparison[], json: unknown, rule: string): void {
  printListing(format, COMPARE_HEADERS, comparisons.map(comparisonCells), json);
  if (format === 'text') {
    const counts = tally(comparisons);
    process.stdout.write(
      `${
        Object.entries(counts)
          .filter(([, n]) => n > 0)
          .map(([v, n]) => `${n} ${v}`)
          .join(', ') || 'no cases'
      }\n(${rule}; arena is the measured one, else the planned)\n`,
    );
  }
}
