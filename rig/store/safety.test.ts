// The store beside other programs: a write lock held for a while, a file that is not rig's, a
// read-only database.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';
import { DB_VERSION, Store, StoreBusyError } from './db.js';
import { importPending, pendingPath, RunWriter } from './pending.js';
import { holdWriteLock, sampleRow } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-store-safety-'));
const info = { startedAt: '2026-12-01T00:00:00Z', gitRevision: null, host: 'h', toolchain: {}, board: 'f746', runner: 'qemu' as const, args: { a: 1 } };

test('a row the database refuses for another program’s lock goes to the side file, and rig results import stores it once', async () => {
  const db = join(dir, 'busy.db');
  process.env['RIG_DB_TIMEOUT'] = '0.3';
  const store = new Store(db);
  delete process.env['RIG_DB_TIMEOUT'];
  const runId = store.startRun(info);
  const writer = new RunWriter(store, runId, info);
  writer.addResult(sampleRow(runId));
  const { released } = await holdWriteLock(db, 1_500);
  assert.throws(
    () => store.addResult(sampleRow(runId)),
    (e: Error) => e instanceof StoreBusyError && e.message.includes(db),
  );
  writer.addResult(sampleRow(runId, { schedule: 'patch' }));
  writer.addResult(sampleRow(runId, { schedule: 'stream1d' }));
  writer.finishRun('complete');
  const kept = writer.close();
  assert.deepEqual(kept, { file: pendingPath(db), rows: 2 });
  await released;
  assert.deepEqual(
    store.results(runId).map((r) => r.schedule),
    ['layer'],
  );
  store.close();
  assert.deepEqual(importPending(db, pendingPath(db)), { runs: 1, rows: 2, skipped: 0 });
  assert.deepEqual(importPending(db, pendingPath(db)), { runs: 1, rows: 0, skipped: 2 });
  const after = new Store(db);
  assert.deepEqual(
    after.results(runId).map((r) => r.schedule),
    ['layer', 'patch', 'stream1d'],
  );
  assert.equal(after.run(runId)!.status, 'complete');
  assert.equal(after.runs().length, 1);
  after.close();
});

test('rows wait in memory while the lock is held for less than the timeout, and are written in order', async () => {
  const db = join(dir, 'wait.db');
  const store = new Store(db);
  const runId = store.startRun(info);
  const writer = new RunWriter(store, runId, info);
  const { released } = await holdWriteLock(db, 6_000); // longer than the old 5 s
  const started = performance.now();
  writer.addResult(sampleRow(runId));
  assert.ok(performance.now() - started > 4_000);
  await released;
  writer.finishRun('complete');
  assert.equal(writer.close(), null);
  assert.equal(store.results(runId).length, 1);
  assert.equal(existsSync(pendingPath(db)), false);
  store.close();
});

test('a file that is not a rig database is refused, naming it, and left byte for byte', () => {
  const other = join(dir, 'other.db');
  const o = new Database(other);
  o.exec('CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES (1)');
  o.close();
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'not a database\n'.repeat(20));
  const versioned = join(dir, 'versioned.db');
  const v = new Database(versioned);
  v.exec('CREATE TABLE runs (x); PRAGMA user_version = 3');
  v.close();
  for (const [file, why] of [
    [other, /other\.db is not a rig results database \(an SQLite database with other tables \(notes\)\)/],
    [text, /notes\.txt is not a rig results database \(not an SQLite database\)/],
    [versioned, /versioned\.db is not a rig results database .*without rig's tables/],
  ] as const) {
    const before = readFileSync(file);
    assert.throws(() => new Store(file), why);
    assert.throws(() => Store.existing(file), why);
    assert.deepEqual(readFileSync(file), before);
    assert.equal(existsSync(`${file}-wal`), false);
  }
});

test('a read-only database is read, never migrated; an old one read-only says so', () => {
  const ro = join(dir, 'ro');
  mkdirSync(ro);
  const db = join(ro, 'rig.db');
  const store = new Store(db);
  const runId = store.startRun(info);
  store.addResult(sampleRow(runId));
  store.close();
  const old = join(ro, 'old.db');
  const o = new Database(old);
  for (const m of MIGRATIONS.slice(0, 3)) o.exec(m.sql);
  o.pragma('user_version = 3');
  o.close();
  chmodSync(db, 0o444);
  chmodSync(old, 0o444);
  chmodSync(ro, 0o555);
  try {
    // As root every file is writable: the read-only opening that a 0444 file gets is also asked for.
    for (const r of [Store.existing(db), new Store(db, { readOnly: true })]) {
      assert.equal(r.schemaVersion, DB_VERSION);
      assert.equal(r.results(runId).length, 1);
      r.close();
    }
    assert.throws(() => new Store(old, { readOnly: true }), /old\.db is read-only and has schema version 3, older than this rig's/);
    const r = Store.existing(db);
    assert.equal(r.readOnly, process.getuid?.() !== 0);
    assert.equal(r.schemaVersion, DB_VERSION);
    assert.equal(r.results(runId).length, 1);
    r.close();
    if (process.getuid?.() !== 0) assert.throws(() => Store.existing(old), /old\.db is read-only and has schema version 3, older than this rig's/);
  } finally {
    chmodSync(ro, 0o755);
  }
});
