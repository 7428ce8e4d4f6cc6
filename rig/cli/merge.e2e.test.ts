// rig results merge through the built CLI: two stores made apart into one, then compare, results
// and report on it; what it refuses, with exit 2 and the file's name.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ResultRow } from '../results/row.js';
import { DB_VERSION, Store } from '../store/db.js';
import type { MergeReport } from '../store/merge.js';
import { sampleRow } from '../store/testing.js';
import { rigCli } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-merge-cli-'));
const rig = (args: string[]) => rigCli(args, dir);
const row = (runId: number, median: number): ResultRow =>
  sampleRow(runId, { latency: { unit: 'instructions', n: 2, min: median, median, max: median }, samples: [median, median] });

/** A store with one nightly of suite emulated and its run, then a run of its own: local ids 1 and 2 in each. */
function store(path: string, host: string, day: number, median: number): void {
  const s = new Store(path);
  const n = s.startNightly('emulated', null, `2026-01-0${day}T00:00:00.000Z`);
  const at = `2026-01-0${day}T00:00:01.000Z`;
  const a = s.startRun({ startedAt: at, gitRevision: 'abc', host, toolchain: {}, board: 'f746', runner: 'qemu', args: {}, nightlyId: n });
  s.addResult(row(a, median));
  s.finishRun(a, 'complete');
  s.finishNightly(n, 'passed', { changes: [] });
  const b = s.startRun({ startedAt: at, gitRevision: 'abc', host, toolchain: {}, board: 'f746', runner: 'qemu', args: {} });
  s.addResult(row(b, median + 1));
  s.finishRun(b, 'complete');
  s.close();
}

const lab = join(dir, 'lab.db');
const laptop = join(dir, 'laptop.db');
store(lab, 'lab', 1, 1000);
store(laptop, 'laptop', 2, 1100);

test('rig results merge: two stores into one, then compare, results and report on it; again, nothing more', async () => {
  const into = join(dir, 'all.db');
  const before = [readFileSync(lab), readFileSync(laptop)];
  const first = await rig(['results', 'merge', lab, laptop, '--into', into]);
  assert.equal(first.code, 0, first.stderr);
  const [header, , labLine, laptopLine] = first.stdout.split('\n');
  assert.match(header!, /^source +schema +nightlies +runs +rows +present: nightlies +runs +rows +running, left out$/);
  assert.match(labLine!, new RegExp(`lab\\.db +${DB_VERSION} +1 +2 +2 +0 +0 +0 +0$`));
  assert.match(laptopLine!, new RegExp(`laptop\\.db +${DB_VERSION} +1 +2 +2 +0 +0 +0 +0$`));
  assert.match(first.stderr, /4 runs copied into .*all\.db \(created\)/);
  assert.deepEqual([readFileSync(lab), readFileSync(laptop)], before);

  // The lab's run 2 is the merged store's 2, the laptop's run 2 its 4: 101 instructions slower.
  const compared = await rig(['compare', '2', '4', '--db', into, '--json']);
  assert.equal(compared.code, 1, compared.stderr);
  assert.deepEqual(
    (JSON.parse(compared.stdout) as { cases: { verdict: string; reasons: string[] }[] }).cases.map((c) => [c.verdict, c.reasons]),
    [['regressed', ['median instructions 1,001 → 1,101 (+9.99%)']]],
  );
  const runs = JSON.parse((await rig(['results', '--runs', '--json', '--db', into])).stdout) as { id: number; host: string; nightlyId: number | null }[];
  assert.deepEqual(
    runs.map((r) => [r.id, r.host, r.nightlyId]),
    [
      [4, 'laptop', null],
      [3, 'laptop', 2],
      [2, 'lab', null],
      [1, 'lab', 1],
    ],
  );
  const out = join(dir, 'report.html');
  const report = await rig(['report', '--nightly', '2', '--db', into, '--out', out]);
  assert.equal(report.code, 0, report.stderr);
  assert.match(readFileSync(out, 'utf8'), /laptop/);

  const again = await rig(['results', 'merge', laptop, lab, '--into', into, '--json']);
  assert.equal(again.code, 0, again.stderr);
  const counts = JSON.parse(again.stdout) as MergeReport;
  assert.equal(counts.created, false);
  assert.deepEqual(
    counts.sources.map((s) => [s.copied, s.present]),
    [
      [
        { nightlies: 0, runs: 0, results: 0 },
        { nightlies: 1, runs: 2, results: 2 },
      ],
      [
        { nightlies: 0, runs: 0, results: 0 },
        { nightlies: 1, runs: 2, results: 2 },
      ],
    ],
  );
  assert.equal((JSON.parse((await rig(['results', '--json', '--db', into])).stdout) as unknown[]).length, 4);
});

test('rig results merge refuses a missing file, a file that is not rig’s and --into a source, with exit 2, naming it', async () => {
  const into = join(dir, 'never.db');
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'not a database\n');
  const missing = await rig(['results', 'merge', lab, join(dir, 'nowhere.db'), '--into', into]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^rig: No results database at .*nowhere\.db\n$/);
  const other = await rig(['results', 'merge', text, '--into', into]);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /notes\.txt is not a rig results database \(not an SQLite database\); rig left it unchanged/);
  assert.equal(readFileSync(text, 'utf8'), 'not a database\n');
  assert.equal(existsSync(into), false);
  const self = await rig(['results', 'merge', lab, laptop, '--into', laptop]);
  assert.equal(self.code, 2);
  assert.match(self.stderr, /--into .*laptop\.db is also a source/);
});
