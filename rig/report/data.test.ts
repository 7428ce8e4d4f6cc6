import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ResultRow } from '../results/row.js';
import { Store, type RunInfo } from '../store/db.js';
import { sampleRow } from '../store/testing.js';
import { UserError } from '../util/errors.js';
import { collectReport, TREND_LENGTH } from './data.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-report-data-'));
const info: RunInfo = { startedAt: 't', gitRevision: 'abc', host: 'h', toolchain: {}, board: 'f746', runner: 'qemu', args: {} };

const row = (runId: number, over: Partial<ResultRow> = {}): ResultRow =>
  sampleRow(runId, {
    latency: { unit: 'instructions', n: 1, min: 100 * runId, median: 100 * runId, max: 100 * runId },
    memory: { plannedArenaBytes: 6144, measuredArenaBytes: 6144 + runId, stackBytes: 1, flashBytes: 1, staticRamBytes: 1, paperPeakBytes: null },
    ...over,
  });

const userError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);

test('an empty database, an unknown run or nightly, and both selections at once are refused by name', async () => {
  const store = new Store(join(dir, 'errors.db'));
  await assert.rejects(collectReport(store, {}), userError(/^No runs in .*errors\.db: run `rig bench` first$/));
  const a = store.startRun(info);
  await assert.rejects(collectReport(store, { runIds: [a, 7, 9] }), userError(/^No run 7, 9 in .*errors\.db \(its runs are 1 to 1\)$/));
  await assert.rejects(collectReport(store, { nightlyId: 3 }), userError(/^No nightly 3 in .* \(it has none\)$/));
  const n = store.startNightly('emulated', null);
  await assert.rejects(collectReport(store, { nightlyId: n }), userError(/^Nightly 1 \(suite emulated\) has no runs/));
  await assert.rejects(collectReport(store, { runIds: [a], nightlyId: n }), userError(/not both/));
  store.close();
});

test("with no selection, the newest run; when it belongs to a nightly, all that nightly's runs", async () => {
  const store = new Store(join(dir, 'newest.db'));
  const n = store.startNightly('emulated', null, '2024-01-01');
  const a = store.startRun({ ...info, nightlyId: n });
  const b = store.startRun({ ...info, board: 'f412', nightlyId: n });
  store.addResult(row(a));
  store.addResult(row(b, { board: 'f412' }));
  let d = await collectReport(store, {});
  assert.equal(d.selection.kind, 'nightly');
  assert.deepEqual(d.selection.runIds, [a, b]);
  assert.equal(d.selection.nightly?.id, n);
  assert.deepEqual(
    d.rows.map((r) => r.runId),
    [a, b],
  );
  assert.deepEqual(
    d.boards.map((x) => [x.id, x.loaded && x.sramBytes, x.loaded && x.label]),
    [
      ['f412', 262_144, 'F412 SRAM 256 KB'],
      ['f746', 327_680, 'F746 SRAM 320 KB'],
    ],
  );
  // A running nightly has no changes yet; a finished one has those rig nightly stored.
  assert.equal(d.changes, null);
  const change = {
    model: 'tiny-cnn',
    schedule: 'layer',
    board: 'f412',
    runner: 'qemu',
    verdict: 'regressed',
    reasons: ['median instructions 1 → 2 (+100.00%)'],
  };
  store.finishNightly(n, 'regressed', { counts: { regressed: 1 }, changes: [change] });
  assert.deepEqual((await collectReport(store, {})).changes, { baselineId: null, cases: [change] });
  store.finishNightly(n, 'regressed', { changes: [{ ...change, reasons: 'not a list' }] });
  assert.equal((await collectReport(store, {})).changes, null);

  const c = store.startRun({ ...info, board: 'nowhere' });
  store.addResult(row(c, { board: 'nowhere' }));
  d = await collectReport(store, {});
  assert.deepEqual([d.selection.kind, d.selection.runIds, d.selection.nightly], ['newest', [c], null]);
  assert.deepEqual(
    d.boards.map((x) => [x.id, x.loaded]),
    [['nowhere', false]],
  );
  assert.match(d.boards[0]!.loaded ? '' : d.boards[0]!.problem, /Unknown board "nowhere"/);

  d = await collectReport(store, { runIds: [c, a, c] });
  assert.deepEqual([d.selection.kind, d.selection.runIds], ['runs', [a, c]]);
  store.close();
});

test('trends follow a case through its stored rows: same options only, up to the selected run, the last 30', async () => {
  const store = new Store(join(dir, 'rows.db'));
  const ids: number[] = [];
  for (let i = 0; i < TREND_LENGTH + 5; i++) {
    const id = store.startRun(info);
    ids.push(id);
    store.addResult(row(id));
    store.addResult(
      row(id, {
        schedule: 'patch',
        scheduleOptions: { patches: 2, split: 3 },
        status: i % 2 === 0 ? 'ok' : 'timeout',
        latency: i % 2 === 0 ? row(id).latency : null,
      }),
    );
    store.addResult(row(id, { schedule: 'patch', scheduleOptions: { patches: 3, split: 3 } }));
    store.addResult(row(id, { runner: 'hardware', latency: { unit: 'cycles', n: 1, min: 1, median: 1, max: 1 } }));
  }
  const selected = ids[TREND_LENGTH + 2]!;
  const d = await collectReport(store, { runIds: [selected] });
  assert.equal(d.trends.axis, 'run');
  assert.deepEqual(
    d.trends.cases.map((t) => [t.runner, t.scheduleLabel, t.unit]),
    [
      ['qemu', 'layer', 'instructions'],
      ['qemu', 'patch 2×2 split 3', 'instructions'],
      ['qemu', 'patch 3×3 split 3', 'instructions'],
      ['hardware', 'layer', 'cycles'],
    ],
  );
  const [layer, patch] = d.trends.cases;
  assert.deepEqual(
    layer!.points.map((p) => p.x),
    ids.slice(3, TREND_LENGTH + 3),
  );
  assert.deepEqual(
    layer!.points.map((p) => p.latencyMedian),
    ids.slice(3, TREND_LENGTH + 3).map((id) => 100 * id),
  );
  assert.deepEqual(
    layer!.points.map((p) => p.measuredArenaBytes),
    ids.slice(3, TREND_LENGTH + 3).map((id) => 6144 + id),
  );
  // A run whose case timed out is a point without a latency.
  assert.deepEqual(
    patch!.points.slice(-2).map((p) => [p.x, p.status, p.latencyMedian]),
    [
      [selected - 1, 'timeout', null],
      [selected, 'ok', 100 * selected],
    ],
  );
  store.close();
});

test("a nightly's trends follow its suite's nightlies up to it, not other suites", async () => {
  const store = new Store(join(dir, 'nightly.db'));
  const nightly = (suite: string, median: number) => {
    const n = store.startNightly(suite, null, `2024-02-${String(median).padStart(2, '0')}`);
    const r = store.startRun({ ...info, nightlyId: n });
    store.addResult({ ...row(r), latency: { unit: 'instructions', n: 1, min: median, median, max: median } });
    return n;
  };
  const n1 = nightly('emulated', 10);
  nightly('silicon', 99);
  const n3 = nightly('emulated', 12);
  nightly('emulated', 14);
  const d = await collectReport(store, { nightlyId: n3 });
  assert.equal(d.trends.axis, 'nightly');
  assert.deepEqual(
    d.trends.cases[0]!.points.map((p) => [p.x, p.latencyMedian, p.date]),
    [
      [n1, 10, '2024-02-10'],
      [n3, 12, '2024-02-12'],
    ],
  );
  store.close();
});
