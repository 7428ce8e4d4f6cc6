// rig results and rig compare on a real SQLite file, through the built CLI.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ResultRow } from '../results/row.js';
import { Store } from '../store/db.js';
import { sampleRow } from '../store/testing.js';
import { rigCli } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-results-'));
const db = join(dir, 'rig.db');
const rig = (args: string[]) => rigCli([...args, '--db', db], dir);

function row(runId: number, over: Partial<ResultRow> = {}, median = 1000): ResultRow {
  return sampleRow(runId, {
    model: 'mcunet-in0',
    latency: { unit: 'instructions', n: 2, min: median, median, max: median },
    samples: [median, median],
    memory: { plannedArenaBytes: 46_080, measuredArenaBytes: 46_080, stackBytes: 300, flashBytes: 800_000, staticRamBytes: 100, paperPeakBytes: 50_000 },
    macs: 6_364_224,
    layerwiseMacs: 6_364_224,
    ...over,
  });
}

// Three runs: a baseline, the same again, and one where a row got slower and one failed.
const store = new Store(db);
const info = { startedAt: '2026-11-01T00:00:00Z', gitRevision: 'abc', host: 'lab', toolchain: {}, board: 'f746', runner: 'qemu' as const, args: {} };
const runs = [1, 2, 3].map(() => store.startRun(info));
const patch = { schedule: 'patch', scheduleOptions: { patches: 2, split: 3 }, macs: 7_000_000 };
for (const id of runs) {
  store.addResult(row(id, {}, id === runs[2] ? 1001 : 1000));
  store.addResult(id === runs[2] ? row(id, { ...patch, status: 'mismatch', detail: 'output CRC, "quoted", differs' }) : row(id, patch, 2000));
  store.finishRun(id, 'complete');
}
store.addResult(row(runs[2]!, { model: 'mcunet-vww0', board: 'f412', runner: 'qemu' }));
store.close();

test('rig results lists rows, filters them, and exports CSV and JSON that carry the same numbers', async () => {
  const all = await rig(['results']);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /instructions \(emulated\)/);
  assert.equal(all.stdout.trim().split('\n').length, 2 + 7);

  const filtered = await rig(['results', '--model', 'mcunet-in0', '--schedule', 'patch', '--json']);
  const rows = JSON.parse(filtered.stdout) as (ResultRow & { id: number })[];
  assert.deepEqual(
    rows.map((r) => [r.runId, r.status, r.latency?.median ?? null]),
    [
      [runs[0], 'ok', 2000],
      [runs[1], 'ok', 2000],
      [runs[2], 'mismatch', 1000],
    ],
  );

  const board = JSON.parse((await rig(['results', '--board', 'f412', '--json'])).stdout) as ResultRow[];
  assert.deepEqual(
    board.map((r) => r.model),
    ['mcunet-vww0'],
  );
  const limited = JSON.parse((await rig(['results', '--limit', '2', '--json'])).stdout) as { id: number }[];
  assert.deepEqual(
    limited.map((r) => r.id),
    [6, 7],
  );

  const csv = await rig(['results', '--run', String(runs[2]), '--csv']);
  assert.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.split('\r\n').filter((l) => l !== '');
  assert.equal(lines.length, 4);
  assert.match(
    lines[0]!,
    /^id,created,run,model,schedule,kernels,board,runner,status,latency unit,median,min,max,arena planned B,arena measured B,flash B,MACs,detail$/,
  );
  assert.match(lines[1]!, /,mcunet-in0,layer,reference,f746,qemu,ok,instructions \(emulated\),1001,1001,1001,46080,46080,800000,6364224,$/);
  assert.match(lines[2]!, /,mismatch,.*,"output CRC, ""quoted"", differs"$/);

  const listed = await rig(['results', '--runs', '--json']);
  assert.deepEqual(
    (JSON.parse(listed.stdout) as { id: number }[]).map((r) => r.id),
    [...runs].reverse(),
  );
});

test('rig results refuses what it cannot answer: an unknown run, --json with --csv, a bad limit', async () => {
  const unknown = await rig(['results', '--run', '99']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /No run 99 in .*rig\.db/);
  assert.equal((await rig(['results', '--json', '--csv'])).code, 2);
  const limit = await rig(['results', '--limit', '0']);
  assert.equal(limit.code, 2);
  assert.match(limit.stderr, /--limit: expected a whole number of at least 1, found 0/);
});

test('rig compare: the same numbers exit 0; one more instruction and a mismatch exit 1 and say which', async () => {
  const same = await rig(['compare', String(runs[0]), String(runs[1])]);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /2 same/);

  const worse = await rig(['compare', String(runs[1]), String(runs[2]), '--json']);
  assert.equal(worse.code, 1, worse.stderr);
  const report = JSON.parse(worse.stdout) as {
    counts: Record<string, number>;
    cases: { model: string; schedule: string; verdict: string; reasons: string[] }[];
  };
  assert.deepEqual(report.counts, { same: 0, improved: 0, regressed: 1, failed: 1, new: 1, missing: 0 });
  assert.deepEqual(
    report.cases.map((c) => [c.model, c.schedule, c.verdict, c.reasons]),
    [
      ['mcunet-in0', 'layer', 'regressed', ['median instructions 1,000 → 1,001 (+0.10%)']],
      ['mcunet-in0', 'patch 2×2 split 3', 'failed', ['status mismatch (was ok): output CRC, "quoted", differs']],
      ['mcunet-vww0', 'layer', 'new', []],
    ],
  );

  const unknown = await rig(['compare', '1', '42']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /No run 42/);
});
