// rig nightly through the real parts: QEMU runs the suite, SQLite keeps the nights, a real XML
// parser reads the JUnit file. A regression is made by lowering the stored baseline's count; a
// night's process is made alive, or gone, by writing its owner into the store.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { startFakes } from '../deploy/testing.js';
import { processStart } from '../proc/identity.js';
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
  cases: { schedule: string; verdict: string; reasons: string[] }[];
}

const JUNIT = `
import sys, json, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
print(json.dumps([root.get("tests"), root.get("failures"), [f.get("type") for f in root.iter("failure")]]))
`;
interface NightCounts {
  planned: number;
  notRun: number;
  resumed: number;
}

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

/** Runs rig nightly and sends SIGTERM when `pattern` first shows in its progress; resolves to its exit code and stderr. */
async function stopped(args: string[], pattern: RegExp): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'nightly', ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    const before = stderr;
    stderr += d.toString();
    if (!pattern.test(before) && pattern.test(stderr)) child.kill('SIGTERM');
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

test('--resume runs only the cases an interrupted or abandoned night has no row for, under its id, and judges all of them', async () => {
  const three = { ...emulated, schedules: ['layer', 'patch', 'stream1d'] };
  const suite = suiteFile('resume', { runs: 2, entries: [three] });
  const other = suiteFile('other', { runs: 2, entries: [three] });
  const resumeOut = join(dir, 'out-resume');
  const args = (file: string, ...more: string[]) => ['--suite', file, '--db', db, '--out-dir', resumeOut, '--build-dir', join(dir, 'build'), ...more];
  const resume = (file: string, ...more: string[]) => rigCli(['nightly', ...args(file, '--json', ...more)], dir);
  const summaryOf = (id: number) => JSON.parse(readFileSync(join(resumeOut, 'resume', String(id), 'summary.json'), 'utf8')) as Summary & NightCounts;
  // Stopped after its first case.
  const first = await stopped(args(suite), /layer on f746: ok/);
  assert.equal(first.code, 143, first.stderr);
  const raw = new Database(db);
  const stored = (id: number) =>
    raw
      .prepare('SELECT schedule FROM results WHERE run_id IN (SELECT id FROM runs WHERE nightly_id = ?) ORDER BY id')
      .all(id)
      .map((r) => (r as { schedule: string }).schedule);
  const setOwner = raw.prepare("UPDATE nightlies SET status = 'running', ended_at = NULL, host = ?, pid = ?, pid_start = ? WHERE id = ?");
  try {
    const id = Number(/Nightly (\d+) interrupted after 1 of 3 cases/.exec(first.stderr)?.[1]);
    assert.deepEqual(stored(id), ['layer']);
    assert.deepEqual([summaryOf(id).status, summaryOf(id).notRun, summaryOf(id).resumed], ['interrupted', 2, 0]);

    // What cannot be resumed is refused, and the store is left as it was.
    const snapshot = () => JSON.stringify([raw.prepare('SELECT * FROM nightlies').all(), raw.prepare('SELECT count(*) FROM runs').get()]);
    const before = snapshot();
    const refusals: [[string, ...string[]], RegExp][] = [
      [[suite, '--resume', '999'], /--resume 999: there is no nightly 999 in /],
      [[other, '--resume', String(id)], new RegExp(`--resume ${id}: nightly ${id} is of suite resume, not other`)],
      [[other, '--resume'], /--resume: suite other has no interrupted or abandoned nightly in /],
      [[suite, '--resume', String(id), '--baseline', String(id)], /give --resume or --baseline, not both/],
      [[suite, '--resume', 'last'], /--resume last: expected a nightly id/],
    ];
    for (const [given, message] of refusals) {
      const r = await resume(...given);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    }
    assert.equal(snapshot(), before);
    // Still running: its process (this test's) is alive, or on a host rig cannot ask. It stays so.
    const owner = () => raw.prepare('SELECT status, host, pid FROM nightlies WHERE id = ?').get(id);
    setOwner.run(hostname(), process.pid, processStart(process.pid), id);
    const alive = await resume(suite, '--resume', String(id));
    assert.equal(alive.code, 2, alive.stderr);
    assert.match(alive.stderr, new RegExp(`--resume ${id}: nightly ${id} is still running \\(its process ${process.pid} is alive\\)`));
    assert.deepEqual(owner(), { status: 'running', host: hostname(), pid: process.pid });
    setOwner.run('elsewhere', 1, null, id);
    const away = await resume(suite, '--resume', String(id));
    assert.equal(away.code, 2, away.stderr);
    assert.match(away.stderr, /is still running \(on host elsewhere, which rig cannot ask whether its process lives\)/);
    assert.match((await resume(suite, '--resume')).stderr, /--resume: suite resume has no interrupted or abandoned nightly/);
    assert.deepEqual(owner(), { status: 'running', host: 'elsewhere', pid: 1 });
    raw.prepare("UPDATE nightlies SET status = 'interrupted' WHERE id = ?").run(id);

    // Resumed, it runs the missing cases under its id; stopped again after one, it is interrupted again.
    const second = await stopped(args(suite, '--resume', String(id)), /patch .* on f746: ok/);
    assert.equal(second.code, 143, second.stderr);
    assert.match(second.stderr, new RegExp(`Resuming nightly ${id} of suite resume \\(interrupted\\): 2 of 3 cases left`));
    assert.match(second.stderr, new RegExp(`Nightly ${id} interrupted after 2 of 3 cases`));
    assert.deepEqual(stored(id), ['layer', 'patch']);
    assert.deepEqual([summaryOf(id).status, summaryOf(id).notRun, summaryOf(id).resumed], ['interrupted', 1, 1]);

    // Its process died (the store marks it abandoned when opened), and the suite lost a case since:
    // --resume picks the suite's newest such night, runs what is missing, and judges the suite's cases.
    const gone = spawnSync('true').pid!;
    setOwner.run(hostname(), gone, null, id);
    suiteFile('resume', { runs: 2, entries: [{ ...emulated, schedules: ['patch', 'stream1d'] }] });
    const third = await resume(suite, '--resume');
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stderr, new RegExp(`Resuming nightly ${id} of suite resume \\(abandoned\\): 1 of 2 cases left`));
    assert.match(
      third.stderr,
      new RegExp(`1 case stored by nightly ${id} is no longer in .*resume\\.json: the night is judged on the suite's current 2 cases only`),
    );
    assert.equal((third.stderr.match(/ on f746: ok/g) ?? []).length, 1);
    const summary = JSON.parse(third.stdout) as Summary & NightCounts;
    assert.deepEqual(summaryOf(id), summary);
    assert.deepEqual([summary.nightly, summary.status, summary.planned, summary.notRun, summary.resumed, summary.runs.length], [id, 'passed', 2, 0, 2, 3]);
    assert.deepEqual(
      summary.cases.map((c) => [c.schedule, c.verdict]),
      [
        ['patch 2×2 split 3', 'new'],
        ['stream1d 2×2 split 3', 'new'],
      ],
    );
    // Every case ran once in the night, each in one of its three runs.
    assert.deepEqual(stored(id), ['layer', 'patch', 'stream1d']);
    assert.deepEqual(readJunit(summary.files.junit), ['2', '0', []]);
    assert.match(readFileSync(summary.files.report, 'utf8'), /stream1d/);
    const store = Store.existing(db);
    try {
      assert.equal(store.nightly(id)?.status, 'passed');
      assert.deepEqual(
        store.runs({ nightlyId: id }).map((r) => r.status),
        ['complete', 'interrupted', 'interrupted'],
      );
    } finally {
      store.close();
    }

    // Complete now: there is nothing to resume.
    const done = await resume(suite, '--resume', String(id));
    assert.equal(done.code, 2, done.stderr);
    assert.match(done.stderr, new RegExp(`--resume ${id}: nightly ${id} is complete \\(it ended passed\\)`));
  } finally {
    raw.close();
  }
});
