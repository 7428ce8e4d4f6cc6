// The lab on loopback: a Redis server of the test's own on a free port, `rig worker`s with emulated
// F746 boards, `rig bench --queue` spreading its cases over them; a worker killed with -9 in the
// middle of a case, whose case completes on another worker once its lock expires; no worker at
// all, and the cases are device-error rows after the bounded wait.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLI, rigCli } from '../cli/testing.js';
import type { ResultRow } from '../results/row.js';
import { Store } from '../store/db.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-lab-'));
let redis: ChildProcess;
let url = '';
const workers: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

before(async () => {
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  redis.on('error', (error) => assert.fail(`redis-server did not start (./scripts/setup.sh installs it): ${error.message}`));
  await new Promise<void>((resolve) => redis.stdout!.on('data', (d: Buffer) => d.toString().includes('Ready to accept connections') && resolve()));
  url = `redis://127.0.0.1:${port}`;
});

after(() => {
  for (const w of workers) w.kill('SIGKILL');
  redis.kill('SIGKILL');
});

/** A `rig worker` for an emulated F746, its output kept; resolves once it listens. The workers share one build folder, as on one host. */
async function worker(name: string, lockMs: number): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(
    process.execPath,
    [CLI, 'worker', '--queue', url, '--board', 'f746', '--emulate', '--name', name, '--lock-ms', String(lockMs), '--build-dir', join(dir, 'build')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  workers.push(child);
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await waitFor(
    () => log.includes('taking rig-f746-qemu jobs'),
    30_000,
    () => `${name} did not start: ${log}`,
  );
  return { child, log: () => log };
}

async function waitFor(done: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) assert.fail(what());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const bench = (db: string, ...args: string[]) =>
  rigCli(['bench', '--queue', url, '--board', 'f746', '--emulate', '--runs', '1', '--json', '--db', db, ...args], dir);

test('a bench over two workers stores every case once, bit-exact, each saying where it ran; SIGTERM drains a worker', async () => {
  const [w1, w2] = await Promise.all([worker('w1', 10_000), worker('w2', 10_000)]);
  const db = join(dir, 'two.db');
  const r = await bench(db, '--model', 'tiny-cnn', '--schedule', 'layer', '--schedule', 'patch', '--schedule', 'stream2d');
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as ResultRow[];
  assert.deepEqual(
    rows.map((row) => row.schedule),
    ['layer', 'patch', 'stream2d'],
  );
  for (const row of rows) {
    assert.equal(row.status, 'ok', row.detail ?? '');
    assert.equal(row.outputCrc32, row.referenceCrc32);
    assert.ok(row.lab !== undefined && row.lab !== null && ['w1', 'w2'].includes(row.lab.worker), JSON.stringify(row.lab));
    assert.equal(row.lab.attempt, 1);
    assert.equal(row.lab.probeSerial, null);
  }
  const store = new Store(db);
  try {
    const stored = store.results(1);
    assert.equal(stored.length, 3);
    assert.deepEqual(stored.map((row) => row.lab?.worker).sort(), rows.map((row) => row.lab!.worker).sort());
  } finally {
    store.close();
  }
  // A nightly through the queue: the same comparison, report and JUnit as a local night.
  const suite = join(dir, 'lab-suite.json');
  writeFileSync(suite, JSON.stringify({ runs: 1, entries: [{ board: 'f746', emulate: true, models: ['tiny-cnn'], schedules: ['layer', 'stream2d'] }] }));
  const night = await rigCli(['nightly', '--suite', suite, '--queue', url, '--db', db, '--out-dir', join(dir, 'nightly'), '--json'], dir);
  assert.equal(night.code, 0, night.stderr);
  const summary = JSON.parse(night.stdout) as { status: string; planned: number; notRun: number; files: { report: string; junit: string } };
  assert.deepEqual([summary.status, summary.planned, summary.notRun], ['passed', 2, 0]);
  assert.match(readFileSync(summary.files.junit, 'utf8'), /<testsuite [^>]*tests="2"/);
  assert.ok(readFileSync(summary.files.report, 'utf8').includes('tiny-cnn'));
  const nightRows = new Store(db);
  try {
    const last = nightRows.runs({}).at(0)!;
    assert.ok(nightRows.results(last.id).every((row) => row.lab?.worker === 'w1' || row.lab?.worker === 'w2'));
  } finally {
    nightRows.close();
  }
  for (const w of [w1, w2]) {
    w.child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => w.child.once('exit', (c) => resolve(c)));
    assert.equal(code, 0, w.log());
    assert.match(w.log(), /draining/);
  }
});

test('kill -9 of a worker in the middle of a case: the case completes on another once the lock expires, the row names both attempts', async () => {
  const first = await worker('doomed', 2_000);
  const db = join(dir, 'killed.db');
  const running = bench(db, '--model', 'tiny-cnn', '--schedule', 'layer');
  await waitFor(
    () => first.log().includes('attempt 1'),
    60_000,
    () => `the case never reached the worker: ${first.log()}`,
  );
  first.child.kill('SIGKILL');
  await worker('survivor', 2_000);
  const r = await running;
  assert.equal(r.code, 0, r.stderr);
  const [row] = JSON.parse(r.stdout) as ResultRow[];
  assert.equal(row!.status, 'ok', row!.detail ?? '');
  assert.equal(row!.lab?.worker, 'survivor');
  assert.equal(row!.lab?.attempt, 2);
  assert.deepEqual(
    row!.lab?.attempts.map((a) => a.worker),
    ['doomed', 'survivor'],
  );
  workers.at(-1)!.kill('SIGTERM');
});

test('no worker for the board kind: each case is a device-error row after the bounded wait, never waited on forever', async () => {
  const r = await bench(join(dir, 'none.db'), '--model', 'tiny-cnn', '--schedule', 'layer', '--queue-wait', '2000');
  assert.equal(r.code, 1, r.stderr);
  const [row] = JSON.parse(r.stdout) as ResultRow[];
  assert.equal(row!.status, 'device-error');
  assert.match(row!.detail ?? '', /no worker for f746 \(qemu\) took the case: none listened on queue rig-f746-qemu at redis:\/\/127\.0\.0\.1:\d+\/? for 2 s/);
  const bad = await rigCli(['bench', '--queue', 'http://lab:6379', '--db', join(dir, 'x.db')], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--queue http:\/\/lab:6379: expected a redis:\/\/ URL/);
});
