// The report page: one self-contained HTML string built from collected data. Pure: no files, no
// database; uPlot's sources come in as strings. Every string from the database is escaped in
// markup, and chart data travels as JSON in a non-executed script element read by JSON.parse.
import type { BoardBudget, ReportData, ReportRow, Trend } from './data.js';
import { unitLabel } from '../util/units.js';

export interface UplotSources {
  js: string;
  css: string;
}

/** Text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON for a `<script type="application/json">` element: `<`, `>` and `&` as \u escapes so no
 * `</script>` or `<!--` can end or change the element, and U+2028/9 for older JavaScript parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const h = escapeHtml;

function formatInt(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US');
}

/** A numeric table cell a test (or a script) can find by its field and read exactly. */
function numCell(field: string, value: number | null | undefined): string {
  return `<td class="num" data-field="${field}" data-value="${value ?? ''}">${formatInt(value)}</td>`;
}

function textCell(field: string, text: string | null, cls = ''): string {
  return `<td data-field="${field}"${cls === '' ? '' : ` class="${cls}"`}>${text === null ? '–' : h(text)}</td>`;
}

interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
  /** Bars: -1 left of the category, 1 right of it, 0 centred; absent: a line. */
  bar?: -1 | 0 | 1;
  /** Kept for the legend and the scale, not drawn (whisker ends). */
  hidden?: boolean;
}

/** One chart as the page script draws it with uPlot. */
export interface ChartSpec {
  id: string;
  /** sram, latency, macs, layers, trend-latency, trend-arena */
  kind: string;
  xLabel: string;
  yLabel: string;
  x: number[];
  /** Bar charts: the label of each x index. */
  categories: string[] | null;
  /** Trends: the date of each x value. */
  dates: (string | null)[] | null;
  series: ChartSeries[];
  /** Latency: a whisker from min to max per category, drawn from two hidden series. */
  whiskers: { min: number; max: number; color: string } | null;
  /** A horizontal limit line across the plot (the board's SRAM). */
  limit: { value: number; label: string; color: string } | null;
  /** Bar charts start at zero; trends take uPlot's range around their values. */
  fromZero: boolean;
}

const COLORS = {
  planned: '#4e79a7',
  measured: '#f28e2b',
  median: '#59a14f',
  whisker: '#222222',
  macs: '#e15759',
  layerwise: '#76b7b2',
  sram: '#d62728',
};
const TREND_COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7', '#bab0ac'];

/** Rows of one network measured on one board by one runner: the unit every latency here shares. */
interface Group {
  model: string;
  board: string;
  runner: 'qemu' | 'hardware';
  unit: 'instructions' | 'cycles';
  rows: ReportRow[];
}

interface Network {
  model: string;
  groups: Group[];
}

function networks(rows: readonly ReportRow[]): Network[] {
  const byModel = new Map<string, Map<string, Group>>();
  for (const r of rows) {
    const groups = byModel.get(r.model) ?? new Map<string, Group>();
    byModel.set(r.model, groups);
    const key = `${r.board}\u0000${r.runner}`;
    const g = groups.get(key) ?? { model: r.model, board: r.board, runner: r.runner, unit: r.runner === 'qemu' ? 'instructions' : 'cycles', rows: [] };
    groups.set(key, g);
    g.rows.push(r);
  }
  return [...byModel].map(([model, groups]) => ({ model, groups: [...groups.values()] }));
}

/** Category labels: the schedule, and the run when one schedule appears more than once. */
function categories(rows: readonly ReportRow[]): string[] {
  const count = new Map<string, number>();
  for (const r of rows) count.set(r.scheduleLabel, (count.get(r.scheduleLabel) ?? 0) + 1);
  return rows.map((r) => (count.get(r.scheduleLabel)! > 1 ? `${r.scheduleLabel} (run ${r.runId})` : r.scheduleLabel));
}

/** Each profiled row's latency layer by layer (the model's operators in order); null when no row has a profile. */
function layersChart(g: Group, cats: readonly string[], nextId: () => string): ChartSpec | null {
  const profiled = g.rows.flatMap((r, i) => (r.profile === null ? [] : [{ profile: r.profile, label: cats[i]! }]));
  const names = profiled[0]?.profile.layers.map((l) => `${l.name} (${l.op})`);
  if (names === undefined) return null;
  return {
    id: nextId(),
    kind: 'layers',
    xLabel: 'operator',
    yLabel: unitLabel(g.unit),
    x: names.map((_, i) => i),
    categories: names,
    dates: null,
    series: profiled.map(({ profile, label }, i) => ({
      label,
      color: TREND_COLORS[i % TREND_COLORS.length]!,
      values: names.map((_, k) => profile.layers[k]?.latency ?? null),
    })),
    whiskers: null,
    limit: null,
    fromZero: true,
  };
}

function groupCharts(
  g: Group,
  board: BoardBudget | undefined,
  trends: readonly Trend[],
  axis: 'run' | 'nightly',
  nextId: () => string,
): { sram: ChartSpec; latency: ChartSpec; macs: ChartSpec; layers: ChartSpec | null; trendLatency: ChartSpec | null; trendArena: ChartSpec | null } {
  const x = g.rows.map((_, i) => i);
  const cats = categories(g.rows);
  const unit = unitLabel(g.unit);
  const latency = (pick: (l: NonNullable<ReportRow['latency']>) => number) =>
    g.rows.map((r) => (r.latency !== null && r.latency.unit === g.unit ? pick(r.latency) : null));
  const bars = { x, categories: cats, dates: null, fromZero: true, xLabel: 'schedule' };
  const sram: ChartSpec = {
    ...bars,
    id: nextId(),
    kind: 'sram',
    yLabel: 'peak SRAM (bytes)',
    series: [
      { label: 'planned arena', color: COLORS.planned, values: g.rows.map((r) => r.memory.plannedArenaBytes), bar: -1 },
      { label: 'measured arena', color: COLORS.measured, values: g.rows.map((r) => r.memory.measuredArenaBytes), bar: 1 },
    ],
    whiskers: null,
    limit: board?.loaded === true ? { value: board.sramBytes, label: board.label, color: COLORS.sram } : null,
  };
  const lat: ChartSpec = {
    ...bars,
    id: nextId(),
    kind: 'latency',
    yLabel: unit,
    series: [
      { label: `median (${unit})`, color: COLORS.median, values: latency((l) => l.median), bar: 0 },
      { label: 'min', color: COLORS.whisker, values: latency((l) => l.min), hidden: true },
      { label: 'max', color: COLORS.whisker, values: latency((l) => l.max), hidden: true },
    ],
    whiskers: { min: 2, max: 3, color: COLORS.whisker },
    limit: null,
  };
  const macs: ChartSpec = {
    ...bars,
    id: nextId(),
    kind: 'macs',
    yLabel: 'MACs',
    series: [
      { label: 'executed MACs', color: COLORS.macs, values: g.rows.map((r) => r.macs), bar: -1 },
      { label: 'layer-wise MACs', color: COLORS.layerwise, values: g.rows.map((r) => r.layerwiseMacs), bar: 1 },
    ],
    whiskers: null,
    limit: null,
  };
  const layers = layersChart(g, cats, nextId);
  const mine = trends.filter((t) => t.model === g.model && t.board === g.board && t.runner === g.runner && t.points.length > 0);
  if (mine.length === 0) return { sram, latency: lat, macs, layers, trendLatency: null, trendArena: null };
  // One x axis for every case: the union of their runs (or nightlies); a case absent there is a gap.
  const xs = [...new Set(mine.flatMap((t) => t.points.map((p) => p.x)))].sort((a, b) => a - b);
  const dates = xs.map((v) => mine.flatMap((t) => t.points).find((p) => p.x === v)?.date ?? null);
  const aligned = (t: Trend, pick: (p: Trend['points'][number]) => number | null) =>
    xs.map((v) => {
      const p = t.points.find((q) => q.x === v);
      return p === undefined ? null : pick(p);
    });
  const trend = { x: xs, categories: null, dates, fromZero: false, xLabel: axis === 'nightly' ? 'nightly' : 'run', whiskers: null, limit: null };
  const color = (i: number) => TREND_COLORS[i % TREND_COLORS.length]!;
  return {
    sram,
    latency: lat,
    macs,
    layers,
    trendLatency: {
      ...trend,
      id: nextId(),
      kind: 'trend-latency',
      yLabel: `median ${unit}`,
      series: mine.map((t, i) => ({ label: t.scheduleLabel, color: color(i), values: aligned(t, (p) => p.latencyMedian) })),
    },
    trendArena: {
      ...trend,
      id: nextId(),
      kind: 'trend-arena',
      yLabel: 'measured arena (bytes)',
      series: mine.map((t, i) => ({ label: t.scheduleLabel, color: color(i), values: aligned(t, (p) => p.measuredArenaBytes) })),
    },
  };
}

function chartBox(spec: ChartSpec, title: string, caption: string): string {
  return `<figure class="chart-box"><figcaption>${title}</figcaption><div class="chart" id="${spec.id}" data-chart="${spec.kind}" role="img" aria-label="${title}"></div>${caption === '' ? '' : `<p class="caption">${caption}</p>`}</figure>`;
}

function statusTable(g: Group): string {
  const body = g.rows
    .map((r) => {
      const crcMatch = r.outputCrc32 === null ? '–' : r.outputCrc32 === r.referenceCrc32 ? 'equal' : 'differs';
      return `<tr data-result-id="${r.id}" class="status-${r.status === 'ok' ? 'ok' : 'bad'}">${numCell('run', r.runId)}${textCell('schedule', r.scheduleLabel)}${textCell('kernels', r.kernels)}${textCell('status', r.status)}${textCell('crc-device', r.outputCrc32, 'mono')}${textCell('crc-reference', r.referenceCrc32, 'mono')}${textCell('crc-match', crcMatch)}${textCell('detail', r.detail, 'detail')}</tr>`;
    })
    .join('\n');
  return `<table class="data status"><thead><tr><th>run</th><th>schedule</th><th>kernels</th><th>status</th><th>CRC device</th><th>CRC reference</th><th>output</th><th>detail</th></tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function groupSection(net: Network, g: Group, data: ReportData, nextId: () => string, specs: ChartSpec[]): string {
  const board = data.boards.find((b) => b.id === g.board);
  const charts = groupCharts(g, board, data.trends.cases, data.trends.axis, nextId);
  specs.push(
    charts.sram,
    charts.latency,
    charts.macs,
    ...(charts.layers === null ? [] : [charts.layers]),
    ...(charts.trendLatency === null ? [] : [charts.trendLatency]),
    ...(charts.trendArena === null ? [] : [charts.trendArena]),
  );
  const unit = unitLabel(g.unit);
  const sramCaption =
    board?.loaded === true
      ? `<span class="limit-note" data-sram-bytes="${board.sramBytes}">Dashed line: ${h(board.label)} (${formatInt(board.sramBytes)} B, ${h(board.name)} board file).</span>`
      : `<span class="limit-note missing">No SRAM line: the board file of ${h(g.board)} could not be loaded${board?.loaded === false ? ` (${h(board.problem)})` : ''}.</span>`;
  const nightly = data.selection.nightly;
  const trendWhat =
    nightly !== null ? `the nightlies of suite <q>${h(nightly.suite)}</q> up to #${nightly.id}` : 'the stored rows of each case up to the newest selected run';
  const trends =
    charts.trendLatency === null || charts.trendArena === null
      ? '<p class="note">No history for these cases.</p>'
      : chartBox(charts.trendLatency, `Trend: median latency in ${h(unit)}`, `Across ${trendWhat} (at most 30); x: ${data.trends.axis} id.`) +
        chartBox(charts.trendArena, 'Trend: measured arena (bytes)', `Across ${trendWhat} (at most 30); a gap: no measurement there.`);
  return `<section class="group" data-board="${h(g.board)}" data-runner="${h(g.runner)}">
<h3>${h(net.model)} on ${h(g.board)}, ${g.runner === 'qemu' ? 'emulated (QEMU)' : 'silicon'}: latency in ${h(unit)}</h3>
<div class="charts">
${chartBox(charts.sram, 'Peak SRAM per schedule: planned and measured arena (bytes)', sramCaption)}
${chartBox(charts.latency, `Latency per schedule in ${h(unit)}: median, whiskers from min to max`, g.unit === 'instructions' ? 'Instructions counted by the emulator: proportional to the work, not a time.' : 'CPU cycles counted by the DWT cycle counter.')}
${chartBox(charts.macs, 'Executed MACs against the layer-wise MACs of the same model', '')}
${
  charts.layers === null
    ? '<p class="note">No per-layer profile in these rows.</p>'
    : chartBox(
        charts.layers,
        `Per-layer profile in ${h(unit)}: each layer's steps summed`,
        "One inference profiled after the timed runs; the layers are the model's operators in order (patches and stream windows summed per layer). Outside them: the input copy and region copies (rig results --layers ID lists them).",
      )
}
${trends}
</div>
${statusTable(g)}
</section>`;
}

function summaryTable(rows: readonly ReportRow[]): string {
  const body = rows
    .map(
      (r) =>
        `<tr data-result-id="${r.id}">${numCell('run', r.runId)}${textCell('model', r.model)}${textCell('schedule', r.scheduleLabel)}${textCell('kernels', r.kernels)}${textCell('board', r.board)}${textCell('runner', r.runner)}${textCell('status', r.status)}${numCell('latency-median', r.latency?.median)}${textCell('latency-unit', r.latency === null ? null : unitLabel(r.latency.unit))}${numCell('planned-arena', r.memory.plannedArenaBytes)}${numCell('measured-arena', r.memory.measuredArenaBytes)}${numCell('flash', r.memory.flashBytes)}${numCell('macs', r.macs)}</tr>`,
    )
    .join('\n');
  return `<table class="data summary"><thead><tr><th>run</th><th>model</th><th>schedule</th><th>kernels</th><th>board</th><th>runner</th><th>status</th><th>median latency</th><th>unit</th><th>planned arena B</th><th>measured arena B</th><th>flash B</th><th>MACs</th></tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const distinct = (xs: readonly string[]) => [...new Set(xs)];

function header(data: ReportData): string {
  const { selection, runs } = data;
  const ids = selection.runIds.map((id) => `#${id}`).join(', ');
  const what =
    selection.kind === 'nightly' && selection.nightly !== null
      ? `Nightly #${selection.nightly.id} of suite <q>${h(selection.nightly.suite)}</q> (${h(selection.nightly.status)}, started ${h(selection.nightly.startedAt)}): ${selection.runIds.length === 1 ? 'run' : 'runs'} ${ids}`
      : selection.kind === 'newest'
        ? `The newest run, ${ids}`
        : `Runs ${ids}`;
  const toolchains = distinct(runs.flatMap((r) => Object.entries(r.toolchain).map(([k, v]) => `${k}: ${v}`)));
  const facts: [string, string][] = [
    [
      'boards',
      distinct(runs.map((r) => r.board))
        .map(h)
        .join(', '),
    ],
    [
      'runners',
      distinct(runs.map((r) => r.runner))
        .map(h)
        .join(', '),
    ],
    [
      'git revision',
      distinct(runs.map((r) => r.gitRevision ?? 'unknown'))
        .map(h)
        .join(', '),
    ],
    [
      'host',
      distinct(runs.map((r) => r.host))
        .map(h)
        .join(', '),
    ],
    ['toolchain', toolchains.map((t) => `<span class="tool">${h(t)}</span>`).join('<br>')],
    [
      'dates',
      `${h(runs.map((r) => r.startedAt).sort()[0] ?? '')} to ${h(
        runs
          .map((r) => r.endedAt ?? r.startedAt)
          .sort()
          .at(-1) ?? '',
      )}`,
    ],
  ];
  const runRows = runs
    .map(
      (r) =>
        `<tr data-run-id="${r.id}">${numCell('run', r.id)}${textCell('started', r.startedAt)}${textCell('ended', r.endedAt)}${textCell('status', r.status)}${textCell('board', r.board)}${textCell('runner', r.runner)}${textCell('git', r.gitRevision, 'mono')}${textCell('host', r.host)}<td data-field="args"><details><summary>args</summary><pre>${h(JSON.stringify(r.args, null, 2))}</pre></details></td></tr>`,
    )
    .join('\n');
  const summary =
    selection.nightly !== null && selection.nightly.summary !== null
      ? `<details class="nightly-summary"><summary>Nightly summary</summary><pre>${h(JSON.stringify(selection.nightly.summary, null, 2))}</pre></details>`
      : '';
  return `<header>
<h1>rig report</h1>
<p class="selection" id="selection">${what}</p>
<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd data-fact="${k}">${v}</dd>`).join('')}</dl>
${summary}
<details class="runs" open><summary>Runs (${runs.length})</summary>
<table class="data runs"><thead><tr><th>run</th><th>started</th><th>ended</th><th>status</th><th>board</th><th>runner</th><th>git revision</th><th>host</th><th>args</th></tr></thead><tbody>
${runRows}
</tbody></table></details>
<p class="generated">Generated ${h(data.generatedAt)} from <code>${h(data.database)}</code>.</p>
</header>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 1240px; padding: 0 1rem; color: #1b1b1b; }
h1 { margin: 0 0 .25rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ccc; } h3 { margin-top: 1.5rem; }
table.data { border-collapse: collapse; margin: .75rem 0; font-size: 13px; }
table.data th, table.data td { border: 1px solid #d8d8d8; padding: .2rem .45rem; text-align: left; vertical-align: top; }
table.data th { background: #f3f3f3; } table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict-failed, .verdict-missing, .verdict-regressed { color: #b00020; font-weight: 600; } .verdict-improved { color: #1b6e20; }
.mono, code { font-family: ui-monospace, monospace; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 0 1.5rem; }
.chart-box { margin: 1rem 0; min-width: 0; } .chart-box figcaption { font-weight: 600; margin-bottom: .25rem; }
.chart { min-height: 300px; } .caption, .note, .generated { color: #555; font-size: 13px; }
tr.status-bad td[data-field="status"] { color: #b00020; font-weight: 600; }
td.detail { max-width: 40rem; white-space: pre-wrap; word-break: break-word; }
pre { margin: 0; white-space: pre-wrap; }
nav.toc a { margin-right: 1rem; }
`;

/**
 * Draws every chart from the JSON block. Strings reach the page only through textContent (uPlot's
 * legend) and canvas text, never as markup.
 */
const PAGE_SCRIPT = `
(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('report-charts').textContent);
  var ratio = window.devicePixelRatio || 1;
  function exact(v) { return v == null ? '\\u2013' : Math.round(v).toLocaleString('en-US'); }
  function compact(v) {
    if (v == null) return '';
    var a = Math.abs(v);
    if (a >= 1e9) return +(v / 1e9).toPrecision(3) + 'G';
    if (a >= 1e6) return +(v / 1e6).toPrecision(3) + 'M';
    if (a >= 1e3) return +(v / 1e3).toPrecision(3) + 'k';
    return String(+v.toPrecision(3));
  }
  function seriesOptions(s) {
    var o = { label: s.label, stroke: s.color, width: 2, value: function (u, v) { return exact(v); } };
    if (s.hidden) {
      o.paths = function () { return null; };
      o.points = { show: false };
    } else if (s.bar !== undefined && s.bar !== null) {
      o.fill = s.color;
      o.width = 1;
      o.paths = uPlot.paths.bars({ size: [s.bar === 0 ? 0.6 : 0.36, 90], align: s.bar });
      o.points = { show: false };
    } else {
      o.spanGaps = true;
      o.points = { show: true, size: 7, fill: s.color, stroke: s.color };
    }
    return o;
  }
  function drawWhiskers(u, spec) {
    var lo = u.data[spec.whiskers.min], hi = u.data[spec.whiskers.max], ctx = u.ctx, cap = 7 * ratio;
    ctx.save();
    ctx.strokeStyle = spec.whiskers.color;
    ctx.lineWidth = 1.5 * ratio;
    ctx.beginPath();
    for (var i = 0; i < lo.length; i++) {
      if (lo[i] == null || hi[i] == null) continue;
      var x = u.valToPos(i, 'x', true), y0 = u.valToPos(lo[i], 'y', true), y1 = u.valToPos(hi[i], 'y', true);
      ctx.moveTo(x, y0); ctx.lineTo(x, y1);
      ctx.moveTo(x - cap, y0); ctx.lineTo(x + cap, y0);
      ctx.moveTo(x - cap, y1); ctx.lineTo(x + cap, y1);
    }
    ctx.stroke();
    ctx.restore();
  }
  function drawLimit(u, limit) {
    var ctx = u.ctx, y = u.valToPos(limit.value, 'y', true), left = u.bbox.left, right = u.bbox.left + u.bbox.width;
    ctx.save();
    ctx.strokeStyle = limit.color;
    ctx.fillStyle = limit.color;
    ctx.lineWidth = 2 * ratio;
    ctx.setLineDash([8 * ratio, 5 * ratio]);
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(right, y); ctx.stroke();
    ctx.setLineDash([]);
    ctx.font = (12 * ratio) + 'px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    ctx.fillText(limit.label, right - 4 * ratio, y - 4 * ratio);
    ctx.restore();
  }
  function draw(spec) {
    var el = document.getElementById(spec.id);
    var cats = spec.categories, dates = spec.dates, n = spec.x.length;
    // Many categories (a network's layers): the axis numbers them, the legend names them.
    var dense = cats && n > 16;
    var xValue = cats
      ? function (u, v) { return v == null ? '\\u2013' : (cats[v] || ''); }
      : function (u, v) { var i = spec.x.indexOf(v); return v == null ? '\\u2013' : '#' + v + (i >= 0 && dates[i] ? ' ' + dates[i] : ''); };
    var series = [{ label: spec.xLabel, value: xValue }].concat(spec.series.map(seriesOptions));
    var limitValue = spec.limit ? spec.limit.value : 0;
    var options = {
      width: Math.max(360, el.clientWidth || 520),
      height: 300,
      series: series,
      scales: {
        x: {
          time: false,
          range: cats
            ? function () { return [-0.5, n - 0.5]; }
            : function (u, min, max) { return [min - 0.5, max + 0.5]; }
        },
        y: spec.fromZero
          ? { range: function (u, min, max) { var top = Math.max(max || 0, limitValue); return [0, top > 0 ? top * 1.08 : 1]; } }
          : {}
      },
      axes: [
        {
          label: spec.xLabel,
          size: cats ? 58 : 44,
          incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
          values: function (u, splits) {
            // A schedule's options go on a second line: four labels fit side by side.
            return splits.map(function (v) { return Number.isInteger(v) ? (cats && !dense ? (cats[v] || '').replace(' ', '\\n') : '#' + v) : ''; });
          }
        },
        { label: spec.yLabel, size: 64, values: function (u, splits) { return splits.map(compact); } }
      ],
      hooks: {
        draw: [function (u) {
          if (spec.whiskers) drawWhiskers(u, spec);
          if (spec.limit) drawLimit(u, spec.limit);
        }]
      }
    };
    // A tick at each category, or at each run (nightly) while they are few: none between them.
    if ((cats && !dense) || n <= 16) options.axes[0].splits = function () { return spec.x.slice(); };
    var data = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
    new uPlot(options, data, el);
    el.setAttribute('data-drawn', 'true');
  }
  specs.forEach(draw);
})();
`;

/** A nightly's cases that changed against its baseline, failures first: what to look at. */
function changesSection(data: ReportData): string {
  const { changes } = data;
  if (changes === null) return '';
  const against = changes.baselineId === null ? 'no earlier good night (every case is new)' : `nightly #${changes.baselineId}`;
  if (changes.cases.length === 0) return `<section id="changes"><h2>What changed</h2><p class="note">Nothing changed against ${against}.</p></section>`;
  const order = ['failed', 'missing', 'regressed', 'improved', 'new'];
  const rank = (v: string) => (order.includes(v) ? order.indexOf(v) : order.length);
  const body = [...changes.cases]
    .sort((a, b) => rank(a.verdict) - rank(b.verdict))
    .map(
      (c) =>
        `<tr>${textCell('model', c.model)}${textCell('schedule', c.schedule)}${textCell('kernels', c.kernels ?? null)}${textCell('board', c.board)}${textCell('runner', c.runner)}${textCell('verdict', c.verdict, `verdict verdict-${c.verdict.replace(/[^a-z]/g, '')}`)}${textCell('why', c.reasons.join('; '))}</tr>`,
    )
    .join('\n');
  return `<section id="changes"><h2>What changed against ${h(against)}</h2>
<table class="data changes"><thead><tr><th>model</th><th>schedule</th><th>kernels</th><th>board</th><th>runner</th><th>verdict</th><th>why</th></tr></thead><tbody>
${body}
</tbody></table></section>`;
}

/** The whole page: header, summary, one section per network, the charts' data and script. */
export function renderReport(data: ReportData, uplot: UplotSources): string {
  let chartCount = 0;
  const nextId = () => `chart-${++chartCount}`;
  const specs: ChartSpec[] = [];
  const nets = networks(data.rows);
  const sections = nets
    .map(
      (net, i) =>
        `<section class="network" id="network-${i + 1}">\n<h2>${h(net.model)}</h2>\n${net.groups.map((g) => groupSection(net, g, data, nextId, specs)).join('\n')}\n</section>`,
    )
    .join('\n');
  const toc = nets.map((net, i) => `<a href="#network-${i + 1}">${h(net.model)}</a>`).join(' ');
  const title = `rig report: ${data.selection.nightly === null ? '' : `nightly #${data.selection.nightly.id}, `}runs ${data.selection.runIds.join(', ')}`;
  // No source but this file: inline script and style only, images from data: URLs at most.
  const csp = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<style>${noClosingTag(uplot.css, 'style')}</style>
<style>${STYLE}</style>
</head>
<body>
${header(data)}
${changesSection(data)}
<section id="summary">
<h2>All rows</h2>
${data.rows.length === 0 ? '<p class="note">The selected runs stored no result rows.</p>' : summaryTable(data.rows)}
${toc === '' ? '' : `<nav class="toc">Networks: ${toc}</nav>`}
</section>
${sections}
<section id="notes">
<h2>Notes</h2>
<p class="note" id="per-layer-profile">Per-layer profiles come from one more inference after the timed runs, with the timer read after every step; the layers add up to the whole inference but for the input copy and the tiling's region copies. <code>rig results --layers ID</code> prints a row's.</p>
<p class="note">Latency in emulation counts instructions (QEMU, <code>-icount shift=0</code>), never a time; silicon rows count CPU cycles. The two are never in one chart.</p>
</section>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>
<script type="application/json" id="report-charts">${jsonForScript(specs)}</script>
<script>${noClosingTag(uplot.js, 'script')}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/** A library source inlined in an element must not close it early; uPlot's never does. */
function noClosingTag(source: string, tag: 'script' | 'style'): string {
  if (source.toLowerCase().includes(`</${tag}`)) throw new Error(`An inlined ${tag} contains </${tag}: it cannot go into the report as is`);
  return source;
}
