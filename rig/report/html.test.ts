import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleRow } from '../store/testing.js';
import type { ReportData, ReportRow } from './data.js';
import { escapeHtml, jsonForScript, renderReport, type ChartSpec } from './html.js';

const HOSTILE_NAME = '<script>window.__pwned=1</script>';
const HOSTILE_DETAIL = '"</script><img src=x onerror=alert(1)>';
const UPLOT = { js: 'window.uPlot = function () {};', css: '.uplot {}' };

const row = (id: number, over: Partial<ReportRow> = {}): ReportRow => ({
  ...sampleRow(id, {
    latency: { unit: 'instructions', n: 2, min: 1_000_000, median: 1_234_560, max: 1_300_000 },
    samples: [1_000_000, 1_300_000],
    memory: { plannedArenaBytes: 6144, measuredArenaBytes: 6144, stackBytes: 200, flashBytes: 9000, staticRamBytes: 10, paperPeakBytes: 6000 },
  }),
  id,
  createdAt: `2024-05-0${id}T00:00:00.000Z`,
  scheduleLabel: 'layer',
  kernels: 'reference',
  ...over,
});

const run = (id: number, over: Partial<ReportData['runs'][number]> = {}): ReportData['runs'][number] => ({
  id,
  uid: `run-${id}`,
  startedAt: `2024-05-0${id}T00:00:00.000Z`,
  endedAt: `2024-05-0${id}T00:01:00.000Z`,
  status: 'complete',
  gitRevision: 'abc123',
  host: 'lab-host',
  toolchain: { gcc: 'arm-none-eabi-gcc 12.2' },
  board: 'f746',
  runner: 'qemu',
  args: {},
  nightlyId: null,
  ...over,
});

function data(): ReportData {
  const hostile = row(2, { model: HOSTILE_NAME, status: 'mismatch', detail: HOSTILE_DETAIL, outputCrc32: 'deadbeef' });
  return {
    generatedAt: '2024-05-03T00:00:00.000Z',
    database: '/tmp/<db>.db',
    selection: { kind: 'runs', runIds: [1, 2], nightly: null },
    runs: [run(1), run(2, { host: '<b>host</b>', args: { note: '</script><!--' }, toolchain: { gcc: '&amp;' } })],
    rows: [row(1), hostile],
    boards: [{ id: 'f746', loaded: true, name: 'STM32F746', sramBytes: 327_680, label: 'F746 SRAM 320 KB' }],
    trends: {
      axis: 'run',
      cases: [
        {
          board: 'f746',
          runner: 'qemu',
          model: 'tiny-cnn',
          scheduleLabel: 'layer',
          unit: 'instructions',
          points: [{ x: 1, date: 'd1', resultId: 1, status: 'ok', latencyMedian: 1_234_560, measuredArenaBytes: 6144 }],
        },
        { board: 'f746', runner: 'qemu', model: HOSTILE_NAME, scheduleLabel: 'layer', unit: 'instructions', points: [] },
      ],
    },
    changes: {
      baselineId: 1,
      cases: [
        { model: HOSTILE_NAME, schedule: 'layer', board: 'f746', runner: 'qemu', verdict: 'regressed', reasons: [HOSTILE_DETAIL] },
        { model: 'tiny-cnn', schedule: 'patch 2×2 split 3', board: 'f746', runner: 'qemu', verdict: 'improved', reasons: ['arena B 10 → 9 (-10.00%)'] },
        { model: 'tiny-cnn', schedule: 'layer', board: 'f412', runner: 'qemu', verdict: 'failed', reasons: ['status timeout (was ok)'] },
      ],
    },
  };
}

/** The text of `<script type="application/json" id="…">`. */
function jsonBlock(html: string, id: string): string {
  const m = new RegExp(`<script type="application/json" id="${id}">([^]*?)</script>`).exec(html);
  assert.ok(m, `no JSON block ${id}`);
  return m[1]!;
}

test('escapeHtml turns every markup character into an entity', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;amp;&#60;/a&#62;');
  assert.equal(escapeHtml('tiny-cnn patch 2×2 split 3'), 'tiny-cnn patch 2×2 split 3');
});

test('jsonForScript leaves no <, >, & or line separators, and parses back to the same value', () => {
  const value = { name: HOSTILE_NAME, detail: HOSTILE_DETAIL, comment: '<!-- & -->', separators: 'a\u2028b\u2029c', n: 6144 };
  const text = jsonForScript(value);
  assert.doesNotMatch(text, /[<>&\u2028\u2029]/);
  assert.match(text, /\\u003cscript\\u003e/);
  assert.match(text, /\\u2028/);
  assert.deepEqual(JSON.parse(text), value);
});

test('the page shows database strings only escaped: no markup of theirs, the four script elements of its own', () => {
  const d = data();
  const html = renderReport(d, UPLOT);
  assert.ok(!html.includes(HOSTILE_NAME), 'the model name appears unescaped');
  assert.ok(!html.includes('<img'), 'the detail produced an element');
  assert.ok(!html.includes('<b>host</b>') && !html.includes('<!--'));
  assert.equal(html.match(/<script/g)?.length, 4);
  assert.equal(html.match(/<\/script>/g)?.length, 4);
  assert.ok(html.includes(`<h2>${escapeHtml(HOSTILE_NAME)}</h2>`));
  assert.ok(html.includes(escapeHtml(HOSTILE_DETAIL)));
  assert.ok(html.includes('&#38;amp;'));
  // The embedded data is the collected data, exactly.
  assert.deepEqual(JSON.parse(jsonBlock(html, 'report-data')), d);
});

test('numbers come from the rows, in cells that name their field and value', () => {
  const html = renderReport(data(), UPLOT);
  assert.match(
    html,
    /<tr data-result-id="1"><td class="num" data-field="run" data-value="1">1<\/td>.*<td class="num" data-field="latency-median" data-value="1234560">1,234,560<\/td><td data-field="latency-unit">instructions \(emulated\)<\/td><td class="num" data-field="planned-arena" data-value="6144">6,144<\/td>/,
  );
  assert.match(html, /data-sram-bytes="327680">Dashed line: F746 SRAM 320 KB/);
});

test('charts: one set per network and board, emulated latency in instructions, SRAM limit from the board', () => {
  const d = data();
  const specs = JSON.parse(jsonBlock(renderReport(d, UPLOT), 'report-charts')) as ChartSpec[];
  // tiny-cnn has a trend; the other network has no history, so no trend charts.
  assert.deepEqual(
    specs.map((s) => s.kind),
    ['sram', 'latency', 'macs', 'trend-latency', 'trend-arena', 'sram', 'latency', 'macs'],
  );
  assert.deepEqual(new Set(specs.map((s) => s.id)).size, specs.length);
  const [sram, latency] = specs;
  assert.deepEqual(sram!.limit, { value: 327_680, label: 'F746 SRAM 320 KB', color: sram!.limit!.color });
  assert.deepEqual(
    sram!.series.map((s) => s.values),
    [[6144], [6144]],
  );
  assert.equal(latency!.yLabel, 'instructions (emulated)');
  assert.deepEqual(
    latency!.series.map((s) => s.values),
    [[1_234_560], [1_000_000], [1_300_000]],
  );
  for (const s of specs) assert.doesNotMatch(`${s.yLabel} ${s.series.map((x) => x.label).join(' ')}`, /\bms\b|cycles/);
});

test('a board file that cannot be loaded leaves no SRAM line and says why', () => {
  const d = { ...data(), boards: [{ id: 'f746', loaded: false as const, problem: 'boards/f746.json: <broken>' }] };
  const html = renderReport(d, UPLOT);
  const specs = JSON.parse(jsonBlock(html, 'report-charts')) as ChartSpec[];
  assert.ok(specs.every((s) => s.limit === null));
  assert.match(html, /No SRAM line: the board file of f746 could not be loaded \(boards\/f746\.json: &#60;broken&#62;\)/);
});

test('silicon rows are charted in cycles, apart from emulated rows of the same network', () => {
  const d = data();
  d.rows = [row(1), row(3, { runId: 1, runner: 'hardware', latency: { unit: 'cycles', n: 2, min: 5, median: 6, max: 7 } })];
  const html = renderReport(d, UPLOT);
  const specs = JSON.parse(jsonBlock(html, 'report-charts')) as ChartSpec[];
  const latencies = specs.filter((s) => s.kind === 'latency');
  assert.deepEqual(
    latencies.map((s) => [s.yLabel, s.series[0]!.values]),
    [
      ['instructions (emulated)', [1_234_560]],
      ['cycles', [6]],
    ],
  );
});

test('a library source that would close its element is refused', () => {
  assert.throws(() => renderReport(data(), { ...UPLOT, js: 'var s = "</SCRIPT>";' }), /contains <\/script/);
});

test('the page script is valid JavaScript that reads the chart data from its JSON block', () => {
  const html = renderReport(data(), UPLOT);
  const scripts = [...html.matchAll(/<script>([^]*?)<\/script>/g)].map((m) => m[1]!);
  assert.equal(scripts.length, 2);
  assert.equal(scripts[0], UPLOT.js);
  // Compiles without running: a syntax error here would leave every chart blank.
  assert.doesNotThrow(() => new Function(scripts[1]!));
  assert.match(scripts[1]!, /JSON\.parse\(document\.getElementById\('report-charts'\)\.textContent\)/);
});

test("a nightly's changes come first on the page, failures before regressions before improvements; none, and it says so", () => {
  const html = renderReport(data(), UPLOT);
  const section = /<section id="changes">([^]*?)<\/section>/.exec(html)?.[1] ?? '';
  assert.match(section, /<h2>What changed against nightly #1<\/h2>/);
  const verdicts = [...section.matchAll(/data-field="verdict" class="verdict verdict-(\w+)"/g)].map((m) => m[1]);
  assert.deepEqual(verdicts, ['failed', 'regressed', 'improved']);
  assert.ok(section.includes(escapeHtml(HOSTILE_DETAIL)) && !section.includes('<img'));
  assert.ok(html.indexOf('id="changes"') < html.indexOf('id="summary"'));
  const none = renderReport({ ...data(), changes: { baselineId: 4, cases: [] } }, UPLOT);
  assert.match(none, /Nothing changed against nightly #4\./);
  assert.ok(!renderReport({ ...data(), changes: null }, UPLOT).includes('id="changes"'));
});
