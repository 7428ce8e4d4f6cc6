// rig report end to end: a real benchmark run in QEMU, a hostile row added to the same SQLite
// file, the built CLI writing the page, and Debian's Chromium opening it from file:// headless.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { rigCli } from '../cli/testing.js';
import type { ResultRow } from '../results/row.js';
import { Store } from '../store/db.js';
import type { ChartSpec } from './html.js';

// The page's globals, for the code that runs in the browser (the project compiles without DOM types).
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
declare const document: { querySelector(selector: string): PageCanvas | null; querySelectorAll(selector: string): { length: number } };
declare const window: { __pwned?: unknown };

const CHROMIUM = '/usr/bin/chromium';
const HOSTILE_NAME = '<script>window.__pwned=1</script>';
const HOSTILE_DETAIL = '"</script><img src=x onerror=alert(1)>';

const dir = mkdtempSync(join(tmpdir(), 'rig-report-'));
const db = join(dir, 'rig.db');
const rig = (args: string[]) => rigCli(args, dir);
let browser: BrowserContext;
let benchRow: ResultRow;

before(async () => {
  // Never skipped: a machine without the browser fails here, saying how to install it.
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: the report's browser test needs Debian's chromium; run ./scripts/setup.sh`);
  const bench = await rig(['bench', '--model', 'tiny-cnn', '--schedule', 'layer', '--runs', '2', '--db', db, '--build-dir', join(dir, 'build')]);
  assert.equal(bench.code, 0, bench.stderr);
  const store = new Store(db);
  try {
    benchRow = store.results(1)[0]!;
    const runId = store.startRun({
      startedAt: new Date().toISOString(),
      gitRevision: '<i>rev</i>',
      host: '<b>host</b>',
      toolchain: { gcc: '</script><!--' },
      board: 'f746',
      runner: 'qemu',
      args: { model: [HOSTILE_NAME] },
    });
    store.addResult({ ...benchRow, runId, model: HOSTILE_NAME, status: 'mismatch', detail: HOSTILE_DETAIL, outputCrc32: 'deadbeef', profile: null });
    store.finishRun(runId, 'complete');
  } finally {
    store.close();
  }
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'rig-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
});

interface Drawn {
  id: string;
  width: number;
  height: number;
  /** Pixels of the chart's first series colour: its bars, line or points, not only the axes. */
  seriesPixels: number;
}

/** Opens the page from its file, with every console error, page error, request and dialog recorded. */
async function open(path: string) {
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(path).href;
  await page.goto(url, { waitUntil: 'load' });
  const specs = JSON.parse((await page.locator('#report-charts').textContent()) ?? '[]') as ChartSpec[];
  await page.waitForFunction((n) => document.querySelectorAll('.chart[data-drawn="true"]').length === n, specs.length, { timeout: 10_000 });
  const drawn = await page.evaluate(
    (all: ChartSpec[]): Drawn[] =>
      all.map((spec) => {
        const canvas = document.querySelector(`#${spec.id} canvas`);
        if (canvas === null) return { id: spec.id, width: 0, height: 0, seriesPixels: 0 };
        const hex = spec.series[0]!.color;
        const rgb = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
        const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let seriesPixels = 0;
        for (let i = 0; i < px.length; i += 4) {
          if (px[i + 3]! > 200 && rgb.every((c, k) => Math.abs(px[i + k]! - c) <= 24)) seriesPixels++;
        }
        return { id: spec.id, width: canvas.width, height: canvas.height, seriesPixels };
      }),
    specs,
  );
  return { page, problems, requests, url, specs, drawn };
}

test('rig report writes the newest run; the page opens offline with every chart drawn and the hostile row as text', async () => {
  const out = join(dir, 'report.html');
  const r = await rig(['report', '--db', db, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, new RegExp(`Wrote ${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(runs 2\\)`));
  const { page, problems, requests, url, specs, drawn } = await open(out);
  try {
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [url]);
    assert.equal(await page.locator('#selection').textContent(), 'The newest run, #2');
    assert.deepEqual(
      specs.map((s) => s.kind),
      ['sram', 'latency', 'macs', 'trend-latency', 'trend-arena'],
    );
    for (const d of drawn) assert.ok(d.width > 0 && d.height > 0 && d.seriesPixels > 20, `chart ${d.id} is not drawn: ${JSON.stringify(d)}`);

    assert.equal(await page.locator('#network-1 .note', { hasText: 'No per-layer profile in these rows.' }).count(), 1);

    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await page.locator('#network-1 h2').textContent(), HOSTILE_NAME);
    assert.equal(await page.locator('#summary tr[data-result-id="2"] td[data-field="model"]').textContent(), HOSTILE_NAME);
    assert.equal(await page.locator('.status tr[data-result-id="2"] td[data-field="detail"]').textContent(), HOSTILE_DETAIL);
    assert.equal(await page.locator('dd[data-fact="host"]').textContent(), '<b>host</b>');
    assert.ok((await page.locator('body').textContent())!.includes('</script><!--'));
  } finally {
    await page.close();
  }
});

test("rig report of two runs: both networks charted, the numbers on the page equal the database's", async () => {
  const out = join(dir, 'both.html');
  const r = await rig(['report', '--db', db, '--run', '1', '--run', '2', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { path: out, runIds: [1, 2] });
  const { page, problems, requests, url, specs, drawn } = await open(out);
  try {
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [url]);
    assert.equal(await page.locator('#selection').textContent(), 'Runs #1, #2');
    assert.equal(specs.length, 11);
    for (const d of drawn) assert.ok(d.width > 0 && d.height > 0 && d.seriesPixels > 20, `chart ${d.id} is not drawn: ${JSON.stringify(d)}`);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.equal(await page.locator('img').count(), 0);

    const cell = (field: string) => page.locator(`#summary tr[data-result-id="1"] td[data-field="${field}"]`);
    const median = benchRow.latency!.median;
    const planned = benchRow.memory.plannedArenaBytes;
    assert.equal(Number(await cell('latency-median').getAttribute('data-value')), median);
    assert.equal(await cell('latency-median').textContent(), median.toLocaleString('en-US'));
    assert.equal(await cell('latency-unit').textContent(), 'instructions (emulated)');
    assert.equal(Number(await cell('planned-arena').getAttribute('data-value')), planned);
    assert.equal(await cell('planned-arena').textContent(), planned.toLocaleString('en-US'));
    assert.equal(Number(await cell('macs').getAttribute('data-value')), benchRow.macs);
    assert.equal(planned, 6144);
    // The charts plot the same numbers, emulated latency in instructions, under the board's SRAM.
    const tiny = specs.slice(0, 6);
    assert.deepEqual(tiny[0]!.series[0]!.values, [planned]);
    assert.deepEqual(tiny[0]!.limit?.label, 'F746 SRAM 320 KB');
    assert.equal(await page.locator('#network-1 .limit-note').getAttribute('data-sram-bytes'), '327680');
    assert.deepEqual(
      tiny[1]!.series.map((s) => s.values),
      [[median], [benchRow.latency!.min], [benchRow.latency!.max]],
    );
    assert.equal(tiny[1]!.yLabel, 'instructions (emulated)');
    assert.deepEqual(
      tiny[2]!.series.map((s) => s.values),
      [[benchRow.macs], [benchRow.layerwiseMacs]],
    );
    // The per-layer profile: the stored row's layers, named, in emulated instructions.
    assert.equal(tiny[3]!.kind, 'layers');
    assert.deepEqual(
      tiny[3]!.categories,
      benchRow.profile!.layers.map((l) => `${l.name} (${l.op})`),
    );
    assert.deepEqual(
      tiny[3]!.series.map((s) => s.values),
      [benchRow.profile!.layers.map((l) => l.latency)],
    );
    assert.doesNotMatch(specs.map((s) => s.yLabel).join(' '), /\bms\b|cycles/);
    assert.deepEqual(await page.locator('td[data-field="crc-device"]').allTextContents(), [benchRow.outputCrc32, 'deadbeef']);
  } finally {
    await page.close();
  }
});

test('rig report refuses an empty or missing database and an unknown run, and writes nothing', async () => {
  const empty = join(dir, 'empty.db');
  new Store(empty).close();
  const out = join(dir, 'refused.html');
  let r = await rig(['report', '--db', empty, '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^rig: No runs in .*empty\.db: run `rig bench` first\n$/);

  const missing = join(dir, 'missing.db');
  r = await rig(['report', '--db', missing, '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /No results database at .*missing\.db: run `rig bench` first/);
  assert.equal(existsSync(missing), false);

  r = await rig(['report', '--db', db, '--run', '1', '--run', '99', '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^rig: No run 99 in .*rig\.db \(its runs are 1 to 2\)\n$/);
  assert.equal(r.stdout, '');
  assert.equal(existsSync(out), false);
  // The report written before is what it was: a refused report replaces nothing.
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /The newest run, #2/);
});
