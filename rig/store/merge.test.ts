// rig results merge on stores made with the Store API: ids mapped, nothing copied twice, the
// sources never changed, and what reads the store (compare, listings, nightly baselines, the
// report) working on the merged one.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { collectReport } from '../report/data.js';
import { compareRuns, listResults } from '../results/query.js';
import type { ResultRow } from '../results/row.js';
import { UserError } from '../util/errors.js';
import { DB_VERSION, Store, type RunInfo } from './db.js';
import { mergeStores } from './merge.js';
import { MIGRATIONS } from './migrations.js';
import { importPending, pendingPath, RunWriter } from './pending.js';
import { holdWriteLock, sampleRow } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-merge-'));
const info = (startedAt: string, host: string, over: Partial<RunInfo> = {}): RunInfo => ({
  startedAt,
  gitRevision: 'abc',
  host,
  toolchain: { gcc: '12' },
  board: 'f746',
  runner: 'qemu',
  args: {},
  ...over,
});
const row = (runId: number, median: number, over: Partial<ResultRow> = {}): ResultRow =>
  sampleRow(runId, { latency: { unit: 'instructions', n: 2, min: median, median, max: median }, samples: [median, median], ...over });

/** A lab's store: two nightlies of suite emulated (the second compared with the first) and a run of its own. */
function labStore(path: string): void {
  const s = new Store(path);
  const n1 = s.startNightly('emulated', null, '2026-01-01T00:00:00.000Z');
  const a1 = s.startRun(info('2026-01-01T00:00:01.000Z', 'lab', { nightlyId: n1 }));
  s.addResult(row(a1, 1000), '2026-01-01T00:00:02.000Z');
  s.addResult(row(a1, 2000, { schedule: 'patch', scheduleOptions: { patches: 2, split: 3 } }), '2026-01-01T00:00:03.000Z');
  s.finishRun(a1, 'complete', '2026-01-01T00:00:04.000Z');
  s.finishNightly(n1, 'passed', { changes: [] }, '2026-01-01T00:00:05.000Z');
  const n2 = s.startNightly('emulated', n1, '2026-01-02T00:00:00.000Z');
  const a2 = s.startRun(info('2026-01-02T00:00:01.000Z', 'lab', { nightlyId: n2 }));
  s.addResult(row(a2, 1001), '2026-01-02T00:00:02.000Z');
  s.finishRun(a2, 'complete', '2026-01-02T00:00:03.000Z');
  s.finishNightly(n2, 'regressed', { changes: [] }, '2026-01-02T00:00:04.000Z');
  const a3 = s.startRun(info('2026-01-03T00:00:00.000Z', 'lab', { board: 'f412' }));
  s.addResult(row(a3, 5000, { board: 'f412' }), '2026-01-03T00:00:01.000Z');
  s.finishRun(a3, 'complete', '2026-01-03T00:00:02.000Z');
  s.close();
}

/** A laptop's store: a run (local id 1, like the lab's first) and a later good night of the same suite. */
function laptopStore(path: string): void {
  const s = new Store(path);
  const b1 = s.startRun(info('2026-01-04T00:00:00.000Z', 'laptop'));
  s.addResult(row(b1, 900), '2026-01-04T00:00:01.000Z');
  s.finishRun(b1, 'complete', '2026-01-04T00:00:02.000Z');
  const n = s.startNightly('emulated', null, '2026-01-05T00:00:00.000Z');
  const b2 = s.startRun(info('2026-01-05T00:00:01.000Z', 'laptop', { nightlyId: n }));
  s.addResult(row(b2, 1000), '2026-01-05T00:00:02.000Z');
  s.finishRun(b2, 'complete', '2026-01-05T00:00:03.000Z');
  s.finishNightly(n, 'passed', { changes: [] }, '2026-01-05T00:00:04.000Z');
  s.close();
}

/** Every table's rows with ids as stored, ordered by uid (results by their run's uid, then id). */
function tables(path: string): unknown {
  const db = new Database(path, { readonly: true });
  try {
    return {
      nightlies: db.prepare('SELECT * FROM nightlies ORDER BY uid').all(),
      runs: db.prepare('SELECT * FROM runs ORDER BY uid').all(),
      results: db.prepare('SELECT runs.uid AS run_uid, results.* FROM results JOIN runs ON runs.id = results.run_id ORDER BY runs.uid, results.id').all(),
    };
  } finally {
    db.close();
  }
}

/** The same without local ids: references by uid, so that stores merged in another order compare equal. */
function contents(path: string): unknown {
  const db = new Database(path, { readonly: true });
  const strip = (r: Record<string, unknown>, ...keys: string[]) => Object.fromEntries(Object.entries(r).filter(([k]) => !keys.includes(k)));
  try {
    return {
      nightlies: (
        db.prepare('SELECT n.*, b.uid AS baseline_uid FROM nightlies n LEFT JOIN nightlies b ON b.id = n.baseline_id ORDER BY n.uid').all() as Record<
          string,
          unknown
        >[]
      ).map((r) => strip(r, 'id', 'baseline_id')),
      runs: (
        db.prepare('SELECT r.*, n.uid AS nightly_uid FROM runs r LEFT JOIN nightlies n ON n.id = r.nightly_id ORDER BY r.uid').all() as Record<
          string,
          unknown
        >[]
      ).map((r) => strip(r, 'id', 'nightly_id')),
      results: (
        db.prepare('SELECT runs.uid AS run_uid, results.* FROM results JOIN runs ON runs.id = results.run_id ORDER BY runs.uid, results.id').all() as Record<
          string,
          unknown
        >[]
      ).map((r) => strip(r, 'id', 'run_id')),
    };
  } finally {
    db.close();
  }
}

const lab = join(dir, 'lab.db');
const laptop = join(dir, 'laptop.db');
labStore(lab);
laptopStore(laptop);

test('two stores whose local ids collide merge into one: runs, rows and nightlies with their baselines', async () => {
  const into = join(dir, 'merged.db');
  const sources = [readFileSync(lab), readFileSync(laptop)];
  const report = mergeStores([lab, laptop], into);
  assert.equal(report.created, true);
  assert.deepEqual(
    report.sources.map((s) => [s.source, s.schemaVersion, s.copied, s.present, s.running, s.lost]),
    [
      [
        lab,
        DB_VERSION,
        { nightlies: 2, runs: 3, results: 4 },
        { nightlies: 0, runs: 0, results: 0 },
        { nightlies: 0, runs: 0 },
        { baselines: [], nightlies: [] },
      ],
      [
        laptop,
        DB_VERSION,
        { nightlies: 1, runs: 2, results: 2 },
        { nightlies: 0, runs: 0, results: 0 },
        { nightlies: 0, runs: 0 },
        { baselines: [], nightlies: [] },
      ],
    ],
  );
  assert.deepEqual([readFileSync(lab), readFileSync(laptop)], sources);

  const store = new Store(into);
  const runs = store.runs().reverse();
  assert.deepEqual(
    runs.map((r) => [r.id, r.host, r.startedAt]),
    [
      [1, 'lab', '2026-01-01T00:00:01.000Z'],
      [2, 'lab', '2026-01-02T00:00:01.000Z'],
      [3, 'lab', '2026-01-03T00:00:00.000Z'],
      [4, 'laptop', '2026-01-04T00:00:00.000Z'],
      [5, 'laptop', '2026-01-05T00:00:01.000Z'],
    ],
  );
  // Every row points at its run's new id, every run at its nightly's, the lab's second night at its first.
  assert.deepEqual(
    runs.map((r) => [r.nightlyId, store.results(r.id).map((x) => [x.runId, x.latency?.median])]),
    [
      [
        1,
        [
          [1, 1000],
          [1, 2000],
        ],
      ],
      [2, [[2, 1001]]],
      [null, [[3, 5000]]],
      [null, [[4, 900]]],
      [3, [[5, 1000]]],
    ],
  );
  const labNights = new Store(lab, { readOnly: true });
  const [labFirst, labSecond] = labNights.nightlies().reverse();
  labNights.close();
  const second = store.nightlies().find((n) => n.uid === labSecond!.uid)!;
  assert.equal(store.nightly(second.baselineId!)!.uid, labFirst!.uid);
  // The suite's last good night is the laptop's, which started last, whatever the order of the ids.
  assert.equal(store.nightlies({ suite: 'emulated', status: 'passed', limit: 1 })[0]!.startedAt, '2026-01-05T00:00:00.000Z');
  const report2 = await collectReport(store, { nightlyId: second.id });
  assert.deepEqual(report2.selection.runIds, [2]);
  assert.deepEqual(
    report2.trends.cases[0]!.points.map((p) => p.latencyMedian),
    [1000, 1001],
  );
  store.close();

  // A run of each source, compared: the laptop's is 100 instructions faster.
  const compared = compareRuns(into, 1, 4, 0.02);
  assert.deepEqual(
    compared.cases.map((c) => [c.model, c.verdict]),
    [
      ['tiny-cnn', 'improved'],
      ['tiny-cnn', 'missing'],
    ],
  );
  assert.equal(listResults(into, {}).length, 6);
});

test('merging again changes nothing; in the other order the same runs, rows and nightlies', () => {
  const into = join(dir, 'twice.db');
  mergeStores([lab, laptop], into);
  const once = tables(into);
  const again = mergeStores([laptop, lab], into);
  assert.deepEqual(
    again.sources.map((s) => [s.copied, s.present]),
    [
      [
        { nightlies: 0, runs: 0, results: 0 },
        { nightlies: 1, runs: 2, results: 2 },
      ],
      [
        { nightlies: 0, runs: 0, results: 0 },
        { nightlies: 2, runs: 3, results: 4 },
      ],
    ],
  );
  assert.deepEqual(tables(into), once);

  const reversed = join(dir, 'reversed.db');
  mergeStores([laptop, lab], reversed);
  assert.deepEqual(contents(reversed), contents(into));
  assert.notDeepEqual(tables(reversed), once); // the ids differ
});

test('a source of schema version 6 merges from a migrated copy and stays as it was', () => {
  const old = join(dir, 'v6.db');
  const raw = new Database(old);
  for (const m of MIGRATIONS.filter((m) => m.version <= 6)) raw.exec(m.sql);
  raw.pragma('user_version = 6');
  raw.exec(`INSERT INTO nightlies (suite, started_at, ended_at, status) VALUES ('emulated', '2025-12-01T00:00:00.000Z', '2025-12-01T01:00:00.000Z', 'passed')`);
  raw.exec(
    `INSERT INTO runs (started_at, ended_at, status, host, toolchain_json, board, runner, args_json, nightly_id) VALUES ('2025-12-01T00:00:01.000Z', '2025-12-01T00:10:00.000Z', 'complete', 'old', '{}', 'f746', 'qemu', '{}', 1)`,
  );
  raw.exec(
    `INSERT INTO results (run_id, created_at, model, schedule, board, runner, status, planned_arena_bytes, macs, reference_crc32, seed)
     VALUES (1, '2025-12-01T00:05:00.000Z', 'tiny-cnn', 'layer', 'f746', 'qemu', 'ok', 6144, 106656, '35da3dba', 1)`,
  );
  raw.close();
  const before = readFileSync(old);
  const into = join(dir, 'with-v6.db');
  const first = mergeStores([old, lab], into);
  assert.deepEqual(
    first.sources.map((s) => [s.schemaVersion, s.copied]),
    [
      [6, { nightlies: 1, runs: 1, results: 1 }],
      [DB_VERSION, { nightlies: 2, runs: 3, results: 4 }],
    ],
  );
  assert.deepEqual(readFileSync(old), before);
  const check = new Database(old, { readonly: true });
  assert.equal(check.pragma('user_version', { simple: true }), 6);
  check.close();
  // Its copy gets the same uids every time: merged again, nothing is copied twice.
  const once = tables(into);
  assert.deepEqual(mergeStores([old], into).sources[0]!.copied, { nightlies: 0, runs: 0, results: 0 });
  assert.deepEqual(tables(into), once);
  const store = new Store(into);
  assert.deepEqual(
    store.results(1).map((r) => [r.model, r.memory.plannedArenaBytes]),
    [['tiny-cnn', 6144]],
  );
  assert.equal(store.run(1)!.nightlyId, 1);
  store.close();
});

test('a running run or nightly is left out, and copied by a later merge once it has ended', () => {
  const src = join(dir, 'busy.db');
  const s = new Store(src);
  const done = s.startRun(info('2026-02-01T00:00:00.000Z', 'lab'));
  s.finishRun(done, 'complete');
  const n = s.startNightly('emulated', null, '2026-02-02T00:00:00.000Z');
  const inNight = s.startRun(info('2026-02-02T00:00:01.000Z', 'lab', { nightlyId: n }));
  s.finishRun(inNight, 'complete');
  const running = s.startRun(info('2026-02-03T00:00:00.000Z', 'lab'));
  s.addResult(row(running, 1));
  const into = join(dir, 'from-busy.db');
  const first = mergeStores([src], into).sources[0]!;
  assert.deepEqual(
    [first.copied, first.running],
    [
      { nightlies: 0, runs: 1, results: 0 },
      { nightlies: 1, runs: 2 },
    ],
  );
  s.finishRun(running, 'complete');
  s.finishNightly(n, 'passed', null);
  s.close();
  const second = mergeStores([src], into).sources[0]!;
  assert.deepEqual(
    [second.copied, second.present, second.running],
    [
      { nightlies: 1, runs: 2, results: 1 },
      { nightlies: 0, runs: 1, results: 0 },
      { nightlies: 0, runs: 0 },
    ],
  );
});

test('a baseline in neither store is stored as null and reported', () => {
  const src = join(dir, 'pruned.db');
  const s = new Store(src);
  const n1 = s.startNightly('emulated', null, '2026-03-01T00:00:00.000Z');
  s.finishNightly(n1, 'passed', null);
  const n2 = s.startNightly('emulated', n1, '2026-03-02T00:00:00.000Z');
  s.finishNightly(n2, 'passed', null);
  s.close();
  // Deleted by hand, as an sqlite3 shell does with foreign keys off (its default).
  const raw = new Database(src);
  raw.pragma('foreign_keys = OFF');
  raw.prepare('DELETE FROM nightlies WHERE id = ?').run(n1);
  raw.close();
  const into = join(dir, 'from-pruned.db');
  const merged = mergeStores([src], into).sources[0]!;
  assert.deepEqual(
    merged.lost.baselines.map((l) => [l.sourceId, l.to, l.why]),
    [[n2, n1, 'missing']],
  );
  const store = new Store(into);
  assert.deepEqual(
    store.nightlies().map((n) => n.baselineId),
    [null],
  );
  store.close();
});

test('a missing file, a file that is not rig’s, and --into a source are refused with exit 2, naming the file, and nothing is written', () => {
  const other = join(dir, 'other.db');
  const o = new Database(other);
  o.exec('CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES (1)');
  o.close();
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'not a database\n');
  const into = join(dir, 'never.db');
  const refused = (pattern: RegExp) => (e: unknown) => e instanceof UserError && e.exitCode === 2 && pattern.test(e.message);
  const otherBytes = readFileSync(other);
  assert.throws(() => mergeStores([lab, other], into), refused(/other\.db is not a rig results database \(an SQLite database with other tables \(notes\)\)/));
  assert.deepEqual(readFileSync(other), otherBytes);
  assert.throws(() => mergeStores([text], into), refused(/notes\.txt is not a rig results database \(not an SQLite database\)/));
  assert.throws(() => mergeStores([lab, join(dir, 'nowhere.db')], into), refused(/No results database at .*nowhere\.db/));
  assert.equal(existsSync(into), false);
  assert.throws(() => mergeStores([lab, laptop], join(dir, '.', 'laptop.db')), refused(/--into .*laptop\.db is also a source/));
});

test('a side file keeps its run’s uid: imported as that run, also into another store; one of the previous version is found by its start', async () => {
  const db = join(dir, 'pending.db');
  process.env['RIG_DB_TIMEOUT'] = '0.2';
  const store = new Store(db);
  delete process.env['RIG_DB_TIMEOUT'];
  const run = info('2026-04-01T00:00:00.000Z', 'lab', { uid: 'f'.repeat(32) });
  const runId = store.startRun(run);
  assert.equal(store.run(runId)!.uid, 'f'.repeat(32));
  const writer = new RunWriter(store, runId, run);
  const { released } = await holdWriteLock(db, 1_000);
  writer.addResult(row(runId, 7));
  writer.finishRun('complete');
  assert.deepEqual(writer.close(), { file: pendingPath(db), rows: 1 });
  await released;
  store.close();
  const [record] = readFileSync(pendingPath(db), 'utf8').trim().split('\n');
  assert.equal((JSON.parse(record!) as { run: { uid: string } }).run.uid, 'f'.repeat(32));
  assert.deepEqual(importPending(db, pendingPath(db)), { runs: 1, rows: 1, skipped: 0 });
  const elsewhere = join(dir, 'pending-elsewhere.db');
  assert.deepEqual(importPending(elsewhere, pendingPath(db)), { runs: 1, rows: 1, skipped: 0 });
  const e = new Store(elsewhere);
  assert.deepEqual(
    e.runs().map((r) => [r.uid, r.status]),
    [['f'.repeat(32), 'complete']],
  );
  e.close();
  // A file of the previous version has no uid: the run is found by its start, host, board, runner and arguments.
  const legacy = join(dir, 'legacy.jsonl');
  const withoutUid: RunInfo = { ...run };
  delete withoutUid.uid;
  const old = {
    kind: 'rig-pending-run',
    version: 1,
    runId,
    run: withoutUid,
    status: 'complete',
    endedAt: 'e',
    rows: [{ createdAt: 'c2', row: row(runId, 8) }],
  };
  writeFileSync(legacy, `${JSON.stringify(old)}\n`);
  assert.deepEqual(importPending(db, legacy), { runs: 1, rows: 1, skipped: 0 });
  const after = new Store(db);
  assert.deepEqual(
    after.runs().map((r) => r.uid),
    ['f'.repeat(32)],
  );
  assert.equal(after.results(runId).length, 2);
  after.close();
});
