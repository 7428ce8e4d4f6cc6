// rig bench while another program holds the database's write lock, through the built CLI: the
// row is stored once the lock is released; held past RIG_DB_TIMEOUT, rig says so without a stack.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Store } from '../store/db.js';
import { holdWriteLock } from '../store/testing.js';
import { rigCli } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-locked-db-'));
const BENCH = ['bench', '--model', 'tiny-cnn', '--schedule', 'layer', '--runs', '1', '--warmup', '0', '--build-dir', join(dir, 'build')];

test('a write lock held longer than the old 5 s: the row is stored once it is released', async () => {
  const db = join(dir, 'rig.db');
  new Store(db).close();
  const { released } = await holdWriteLock(db, 8_000);
  const r = await rigCli([...BENCH, '--db', db], dir);
  await released;
  assert.equal(r.code, 0, r.stderr);
  const check = new Database(db, { readonly: true });
  assert.deepEqual(check.prepare('SELECT model, status FROM results').all(), [{ model: 'tiny-cnn', status: 'ok' }]);
  assert.deepEqual(check.prepare('SELECT status FROM runs').all(), [{ status: 'complete' }]);
  check.close();
});

test('a lock held past RIG_DB_TIMEOUT: a clear message naming the file, no stack trace', async () => {
  const db = join(dir, 'held.db');
  new Store(db).close();
  const { released } = await holdWriteLock(db, 6_000);
  const r = await rigCli([...BENCH, '--db', db], dir, { RIG_DB_TIMEOUT: '1' });
  await released;
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`results database ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: another program has held its write lock for 1 s`));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('rig results import stores a side file’s rows once', async () => {
  const db = join(dir, 'import.db');
  const file = join(dir, 'import.db.pending.jsonl');
  const run = { startedAt: '2026-12-01T00:00:00Z', gitRevision: null, host: 'h', toolchain: {}, board: 'f746', runner: 'qemu', args: {} };
  const { sampleRow } = await import('../store/testing.js');
  const record = {
    kind: 'rig-pending-run',
    version: 1,
    runId: 1,
    run,
    status: 'complete',
    endedAt: '2026-12-01T00:01:00Z',
    rows: [{ createdAt: 't', row: sampleRow(1) }],
  };
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, `${JSON.stringify(record)}\n`);
  const first = await rigCli(['results', 'import', file, '--db', db], dir);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /1 row of 1 run stored/);
  const second = await rigCli(['results', 'import', file, '--db', db], dir);
  assert.match(second.stderr, /0 rows of 1 run stored .*; 1 stored before, skipped/);
  const listed = await rigCli(['results', '--json', '--db', db], dir);
  assert.equal((JSON.parse(listed.stdout) as unknown[]).length, 1);
  assert.ok(readFileSync(file, 'utf8').length > 0);
});
