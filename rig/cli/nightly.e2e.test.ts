// rig nightly through the real parts: QEMU runs the suite, SQLite keeps the nights, a real XML
// parser reads the JUnit file. A regression is made by lowering the stored baseline's count.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { startFakes } from '../deploy/testing.js';
import { Store } from '../store/db.js';
import { CLI, rigCli } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-nightly-'));
const db = join(dir, 'rig.db');
const out = join(dir, 'out');
const nightly = (suite: string, ...more: string[]) =>
  rigCli(['nightly', '--suite', suite, '--db', db, '--out-dir', out, '--build-dir', join(dir, 'build'), '--json', ...more], dir);

function suiteFile(name: string, body: unknown): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(body));
  return path;
}

const emulated = { board: 'f746', emulate: true, models: ['tiny-cnn'], schedules: ['layer'] };
const night = suiteFile('night', { runs: 2, entries: [emulated] });

interface Summary {
  nightly: number;
  status: string;
  baseline: number | null;
  runs: number[];
  counts: Record<string, number>;
  files: { report: string; junit: string; summary: string };
  cases: { verdict: string; reasons: string[] }[];
}

const JUNIT = `
import sys, json, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
print(json.dumps([root.get("tests"), root.get("failures"), [f.get("type") for f in root.iter("failure")]]))
`;
const readJunit = (path: string) => JSON.parse(execFileSync('python3', ['-c', JUNIT, path]).toString()) as [string, string, string[]];

test('a suite file with a bad entry is refused before anything runs, naming the file and the path in it', async () => {
  const auto = await nightly(suiteFile('auto', { entries: [{ ...emulated, schedules: ['auto'] }] }));
  assert.equal(auto.code, 2);
  assert.match(auto.stderr, /auto\.json/);
  assert.match(auto.stderr, /entries\[0\]\.schedules\[0\]/);
  const model = await nightly(suiteFile('model', { entries: [{ ...emulated, models: ['no-such-net'] }] }));
  assert.equal(model.code, 2);
  assert.match(model.stderr, /model\.json: entries\[0\]\.models: Unknown model "no-such-net"/);
  const arena = await nightly(suiteFile('arena', { entries: [{ board: 'f746', models: ['tiny-cnn'], arenaRam: 'flash' }] }));
  assert.equal(arena.code, 2);
  assert.match(
    arena.stderr,
    /arena\.json: entries\[0\]\.arenaRam: expected one of all \(.*\), dtcm \(.*\), sram1 \(.*\) \(.*f746\.json, memory\.arenaRam\), found "flash"/,
  );
  // A planner refusal names the entry's field in the suite file, not a command-line option.
  const split = await nightly(suiteFile('split', { entries: [emulated, { ...emulated, schedules: ['patch'], split: 9 }] }));
  assert.equal(split.code, 2);
  assert.match(
    split.stderr,
    /split\.json: entries\[1\]\.split: expected a whole number of blocks from 1 to 4 \(the rest of tiny-cnn must keep at least one block\)/,
  );
  assert.doesNotMatch(split.stderr, /--split/);
  const unknown = await nightly('no-such-suite');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown suite "no-such-suite": expected a name of boards\/suites\/\*\.json \(.*emulated.*\)/);
  assert.equal(existsSync(db), false);
});

test('nightly: passes with no baseline and against an equal one; a regressed row exits 1 with a JUnit failure; --baseline picks another night', async () => {
  const first = await nightly(night);
  assert.equal(first.code, 0, first.stderr);
  const one = JSON.parse(first.stdout) as Summary;
  assert.deepEqual([one.status, one.baseline, one.counts.new], ['passed', null, 1]);
  assert.deepEqual(readJunit(one.files.junit), ['1', '0', []]);
  assert.deepEqual(JSON.parse(readFileSync(one.files.summary, 'utf8')), JSON.parse(first.stdout));
  assert.equal(one.files.report, join(out, 'night', String(one.nightly), 'report.html'));
  assert.match(readFileSync(one.files.report, 'utf8'), /<title>rig report: nightly #\d+, runs \d+<\/title>/);

  const second = await nightly(night);
  assert.equal(second.code, 0, second.stderr);
  const two = JSON.parse(second.stdout) as Summary;
  assert.deepEqual([two.status, two.baseline, two.counts.same], ['passed', one.nightly, 1]);

  // The stored baseline (night two) was one instruction faster: tonight regressed.
  const raw = new Database(db);
  raw
    .prepare(
      'UPDATE results SET latency_min = latency_min - 1, latency_median = latency_median - 1, latency_max = latency_max - 1 WHERE run_id IN (SELECT id FROM runs WHERE nightly_id = ?)',
    )
    .run(two.nightly);
  raw.close();
  const third = await nightly(night);
  assert.equal(third.code, 1, third.stderr);
  const three = JSON.parse(third.stdout) as Summary;
  assert.deepEqual([three.status, three.baseline, three.counts.regressed], ['regressed', two.nightly, 1]);
  assert.match(three.cases[0]!.reasons[0]!, /^median instructions [\d,]+ → [\d,]+ \(\+0\.\d+%\)$/);
  assert.deepEqual(readJunit(three.files.junit), ['1', '1', ['regressed']]);
  // The night's report leads with what changed.
  assert.match(
    readFileSync(three.files.report, 'utf8'),
    new RegExp(`<h2>What changed against nightly #${two.nightly}</h2>[^]*class="verdict verdict-regressed">regressed<`),
  );

  // Against night one, which nobody touched, nothing regressed; a regressed night is never a baseline.
  const fourth = await nightly(night, '--baseline', String(one.nightly));
  assert.equal(fourth.code, 0, fourth.stderr);
  const fifth = await nightly(night);
  assert.equal((JSON.parse(fifth.stdout) as Summary).baseline, (JSON.parse(fourth.stdout) as Summary).nightly);

  const wrong = await nightly(night, '--baseline', '999');
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /--baseline 999: expected a nightly run of suite night/);

  const store = new Store(db);
  assert.deepEqual(
    store.nightlies({ suite: 'night' }).map((n) => n.status),
    ['passed', 'passed', 'regressed', 'passed', 'passed'],
  );
  store.close();
});

test('a board that is not attached fails its own rows; the emulated board of the same night still runs and is stored', async () => {
  const lab = suiteFile('lab', {
    runs: 2,
    entries: [{ board: 'f746', probe: 'NO-SUCH-PROBE', models: ['tiny-cnn'], schedules: ['layer', 'patch'] }, emulated],
  });
  const r = await nightly(lab);
  assert.equal(r.code, 1, r.stderr);
  const summary = JSON.parse(r.stdout) as Summary;
  assert.deepEqual([summary.status, summary.counts.failed, summary.counts.new], ['failed', 2, 1]);
  assert.match(
    summary.cases[0]!.reasons[0]!,
    /^status device-error: the board could not be used: No ST-LINK probe found for f746 .* with serial NO-SUCH-PROBE/,
  );
  assert.deepEqual(readJunit(summary.files.junit), ['3', '2', ['failed', 'failed']]);

  const store = new Store(db);
  const runs = store.runs({ nightlyId: summary.nightly });
  assert.deepEqual(runs.map((x) => [x.board, x.runner, x.status]).reverse(), [
    ['f746', 'hardware', 'failed'],
    ['f746', 'qemu', 'complete'],
  ]);
  const rows = store.rows({ runIds: runs.map((x) => x.id) });
  assert.deepEqual(
    rows.map((x) => [x.runner, x.schedule, x.status]),
    [
      ['hardware', 'layer', 'device-error'],
      ['hardware', 'patch', 'device-error'],
      ['qemu', 'layer', 'ok'],
    ],
  );
  assert.equal(store.nightly(summary.nightly)!.status, 'failed');
  store.close();
});

test('a board that hangs fails its own row after a reset and a retry; the night goes on to the next board', async () => {
  const fakes = await startFakes(join(dir, 'silent'), 'silent');
  try {
    const suite = suiteFile('hang', {
      runs: 2,
      timeoutMs: 3000,
      entries: [{ board: 'f746', port: fakes.port, probe: 'FAKE0001', models: ['tiny-cnn'], schedules: ['layer'] }, emulated],
    });
    const r = await rigCli(['nightly', '--suite', suite, '--db', db, '--out-dir', out, '--build-dir', join(dir, 'build'), '--json'], dir, fakes.env('ok'));
    assert.equal(r.code, 1, r.stderr);
    const summary = JSON.parse(r.stdout) as Summary;
    assert.deepEqual([summary.status, summary.counts.failed, summary.counts.new], ['failed', 1, 1]);
    assert.match(summary.cases[0]!.reasons[0]!, /^status timeout: boot: .*also before a reset/);
    // Asked for its version, programmed once, reset once after the hang.
    const commands = fakes.openocdCalls().map((call) => call.at(-1)!);
    assert.equal(commands.length, 3);
    assert.equal(commands[0], '--version');
    assert.match(commands[1]!, /^program \{.*fw\.elf\} verify reset exit$/);
    assert.equal(commands[2], 'shutdown');
    assert.ok(fakes.openocdCalls()[2]!.includes('reset run'));
    const store = new Store(db);
    const runs = store.runs({ nightlyId: summary.nightly });
    assert.deepEqual(runs.map((x) => [x.runner, x.status]).reverse(), [
      ['hardware', 'complete'],
      ['qemu', 'complete'],
    ]);
    assert.deepEqual(
      store.rows({ runIds: runs.map((x) => x.id) }).map((x) => [x.runner, x.status]),
      [
        ['hardware', 'timeout'],
        ['qemu', 'ok'],
      ],
    );
    store.close();
  } finally {
    await fakes.stop();
  }
});

test('a nightly stopped by SIGTERM is interrupted and still writes its summary, JUnit and report for the cases that ran', async () => {
  // The second case runs long enough for the signal to find it running.
  const cut = suiteFile('cut', { runs: 1000, entries: [{ ...emulated, schedules: ['layer', 'patch'] }] });
  const cutOut = join(dir, 'out-cut');
  const child = spawn(process.execPath, [CLI, 'nightly', '--suite', cut, '--db', db, '--out-dir', cutOut, '--build-dir', join(dir, 'build')], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    const before = stderr;
    stderr += d.toString();
    if (!/patch .*running/.test(before) && /patch .*running/.test(stderr)) setTimeout(() => child.kill('SIGTERM'), 300);
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 143, stderr);
  assert.match(stderr, /Nightly \d+ interrupted after 1 of 2 cases: /);
  assert.doesNotMatch(stderr, /internal error|\n\s+at /);
  const [night] = readdirSync(join(cutOut, 'cut'));
  const folder = join(cutOut, 'cut', night!);
  const summary = JSON.parse(readFileSync(join(folder, 'summary.json'), 'utf8')) as Summary & { planned: number; notRun: number };
  assert.deepEqual([summary.status, summary.planned, summary.notRun], ['interrupted', 2, 1]);
  assert.deepEqual(readJunit(join(folder, 'junit.xml'))[0], '1');
  assert.match(readFileSync(join(folder, 'report.html'), 'utf8'), /tiny-cnn/);
  const store = Store.existing(db);
  try {
    assert.equal(store.nightly(summary.nightly)?.status, 'interrupted');
  } finally {
    store.close();
  }
});
