import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { UserError } from '../util/errors.js';
import { MIGRATIONS } from './migrations.js';
import type { ResultRow } from '../results/row.js';
import { DB_VERSION, Store } from './db.js';
import { sampleRow } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-store-'));

const row = (runId: number): ResultRow =>
  sampleRow(runId, {
    model: 'm',
    schedule: 'patch',
    scheduleOptions: { patches: 2, split: 3 },
    latency: { unit: 'instructions', n: 3, min: 40, median: 80, max: 120 },
    samples: [40, 120, 80],
  });

test('a new file is migrated to the current schema, in WAL mode, and rows round-trip', () => {
  const path = join(dir, 'sub', 'a.db');
  const store = new Store(path);
  assert.equal(store.schemaVersion, DB_VERSION);
  const runId = store.startRun({ startedAt: 't0', gitRevision: null, host: 'h', toolchain: { gcc: 'x' }, board: 'f746', runner: 'qemu', args: { a: 1 } });
  store.addResult(row(runId));
  store.finishRun(runId, 'complete', 't1');
  store.close();

  const again = new Store(path); // opening again applies nothing twice
  assert.deepEqual(again.results(runId), [row(runId)]);
  const { uid } = again.run(runId)!;
  assert.match(uid, /^[0-9a-f]{32}$/);
  assert.deepEqual(again.run(runId), {
    id: runId,
    uid,
    startedAt: 't0',
    endedAt: 't1',
    status: 'complete',
    gitRevision: null,
    host: 'h',
    toolchain: { gcc: 'x' },
    board: 'f746',
    runner: 'qemu',
    args: { a: 1 },
    nightlyId: null,
  });
  again.close();
  const raw = new Database(path);
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  raw.close();
});

test('rows stored by schema version 1 survive the upgrade and read with the new fields empty', () => {
  const path = join(dir, 'v1.db');
  const raw = new Database(path);
  raw.exec(MIGRATIONS[0]!.sql);
  raw.pragma('user_version = 1');
  raw.exec(`INSERT INTO runs (started_at, status, host, toolchain_json, board, runner, args_json) VALUES ('t0', 'complete', 'h', '{}', 'f746', 'qemu', '{}')`);
  raw.exec(
    `INSERT INTO results (run_id, created_at, model, schedule, board, runner, status, planned_arena_bytes, macs, reference_crc32, seed)
     VALUES (1, 't0', 'tiny-cnn', 'layer', 'f746', 'qemu', 'ok', 6144, 106656, '35da3dba', 1)`,
  );
  raw.close();
  const store = new Store(path);
  const [old] = store.results(1);
  assert.equal(store.schemaVersion, DB_VERSION);
  assert.deepEqual(
    [old!.model, old!.memory.plannedArenaBytes, old!.scheduleOptions, old!.memory.paperPeakBytes, old!.layerwiseMacs],
    ['tiny-cnn', 6144, {}, null, null],
  );
  assert.equal(store.run(1)!.nightlyId, null);
  // Its uid is derived from what the run holds: the same in any copy of the file upgraded alike.
  const key = JSON.stringify(['run', 1, 't0', 'h', 'f746', 'qemu', '{}']);
  assert.equal(store.run(1)!.uid, createHash('sha256').update(key).digest('hex').slice(0, 32));
  store.close();
});

test('a database from a newer rig is refused, untouched', () => {
  const path = join(dir, 'newer.db');
  const raw = new Database(path);
  raw.pragma(`user_version = ${DB_VERSION + 1}`);
  raw.close();
  assert.throws(
    () => new Store(path),
    (e: unknown) => e instanceof UserError && /newer than this rig/.test(e.message),
  );
  const check = new Database(path);
  assert.equal(check.pragma('user_version', { simple: true }), DB_VERSION + 1);
  check.close();
});

test('a result for a run that does not exist is rejected', () => {
  const store = new Store(join(dir, 'fk.db'));
  assert.throws(() => store.addResult(row(999)), /FOREIGN KEY/);
  store.close();
});

test('listings filter rows and runs, newest limited, oldest first; nightlies keep their suite, baseline and summary', () => {
  const store = new Store(join(dir, 'list.db'));
  const info = { startedAt: 't0', gitRevision: null, host: 'h', toolchain: {}, args: {} };
  const n1 = store.startNightly('emulated', null, 'n1');
  const a = store.startRun({ ...info, board: 'f746', runner: 'qemu', nightlyId: n1 });
  const b = store.startRun({ ...info, board: 'f412', runner: 'hardware' });
  store.addResult(row(a));
  store.addResult({ ...row(a), model: 'other', status: 'mismatch' });
  store.addResult({ ...row(b), board: 'f412', runner: 'hardware' });
  store.finishNightly(n1, 'passed', { rows: 2 }, 'n1-end');
  const n2 = store.startNightly('emulated', n1, 'n2');

  assert.deepEqual(
    store.rows({ runIds: [a] }).map((r) => [r.id, r.model, r.status]),
    [
      [1, 'm', 'ok'],
      [2, 'other', 'mismatch'],
    ],
  );
  assert.deepEqual(store.rows({ runIds: [] }), []);
  assert.deepEqual(
    store.rows({ board: 'f412' }).map((r) => r.runId),
    [b],
  );
  assert.deepEqual(
    store.rows({ model: 'm', runner: 'qemu', status: 'ok' }).map((r) => r.id),
    [1],
  );
  assert.deepEqual(
    store.rows({ limit: 2 }).map((r) => r.id),
    [2, 3],
  );
  assert.deepEqual(
    store.runs().map((r) => r.id),
    [b, a],
  );
  assert.deepEqual(
    store.runs({ nightlyId: n1 }).map((r) => [r.id, r.nightlyId]),
    [[a, n1]],
  );
  assert.deepEqual(
    store.runs({ runner: 'hardware', limit: 5 }).map((r) => r.board),
    ['f412'],
  );
  assert.deepEqual(
    store.nightlies({ suite: 'emulated' }).map((n) => [n.id, n.status, n.baselineId]),
    [
      [n2, 'running', n1],
      [n1, 'passed', null],
    ],
  );
  assert.deepEqual(
    store.nightlies({ suite: 'emulated', status: 'passed', limit: 1 }).map((n) => n.id),
    [n1],
  );
  assert.notEqual(store.nightly(n1)!.uid, store.nightly(n2)!.uid);
  assert.deepEqual(store.nightly(n1), {
    id: n1,
    uid: store.nightly(n1)!.uid,
    suite: 'emulated',
    startedAt: 'n1',
    endedAt: 'n1-end',
    status: 'passed',
    baselineId: null,
    summary: { rows: 2 },
  });
  assert.equal(store.nightlies({ suite: 'other' }).length, 0);
  store.close();
});

test('an interrupted or abandoned nightly is resumed by this process; a running or finished one is not', () => {
  const store = new Store(join(dir, 'resume.db'));
  const n = store.startNightly('emulated', null, 'n');
  assert.equal(store.resumeNightly(n, { resumed: 1 }), false);
  store.finishNightly(n, 'interrupted', { resumed: 0 }, 'n-end');
  assert.equal(store.resumeNightly(n, { resumed: 1 }), true);
  assert.deepEqual(
    [store.nightly(n)?.status, store.nightly(n)?.startedAt, store.nightly(n)?.endedAt, store.nightly(n)?.summary],
    ['running', 'n', null, { resumed: 1 }],
  );
  assert.deepEqual(store.nightlyOwner(n), { host: hostname(), pid: process.pid });
  store.finishNightly(n, 'passed', {}, 'n-end2');
  assert.equal(store.resumeNightly(n, { resumed: 2 }), false);
  assert.equal(store.nightly(n)?.status, 'passed');
  assert.equal(store.resumeNightly(n + 1, {}), false);
  assert.equal(store.nightlyOwner(n + 1), undefined);
  store.close();
});
