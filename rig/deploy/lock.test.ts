// Board locks: one holder at a time, even when many processes take over a dead owner's lock at
// the same moment; a live holder named when refused, waited for otherwise.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { processStart } from '../proc/identity.js';
import { lockBoard } from './lock.js';

const scratch = mkdtempSync(join(tmpdir(), 'rig-lock-test-'));
const started: ChildProcess[] = [];
after(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

const LOCK_MODULE = pathToFileURL(join(import.meta.dirname, 'lock.js')).href;

/**
 * A child that waits for `go` to appear (polling every 0.2 ms), tries the lock without waiting,
 * prints `held` or `refused`, and keeps what it took until `done` appears.
 */
const CHILD = `
import { existsSync } from 'node:fs';
const { lockBoard } = await import(process.env.LOCK_MODULE);
const [dir, name, go, done] = process.argv.slice(1);
const nap = new Int32Array(new SharedArrayBuffer(4));
process.stdout.write('ready\\n');
while (!existsSync(go)) Atomics.wait(nap, 0, 0, 0.2);
let lock = null;
try {
  lock = await lockBoard(dir, name, { wait: false });
  process.stdout.write('held\\n');
} catch (error) {
  process.stdout.write('refused ' + error.message.split('\\n')[0] + '\\n');
}
while (done === '-' || !existsSync(done)) await new Promise((r) => setTimeout(r, 5));
lock?.release();
`;

interface Child {
  proc: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  /** Resolves once the child has printed at least n lines. */
  lineCount(n: number): Promise<void>;
}

function child(dir: string, name: string, go: string, done: string): Child {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', CHILD, dir, name, go, done], {
    env: { ...process.env, LOCK_MODULE },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.push(proc);
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let buffer = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const lineCount = async (n: number) => {
    while (lines.length < n) {
      if (proc.exitCode !== null) throw new Error(`lock child exited (${proc.exitCode}) after ${JSON.stringify(lines)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  };
  return { proc, lines, exited, lineCount };
}

/** A lock left by a holder killed with SIGKILL: nothing released it. */
async function staleLock(dir: string, name: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const go = join(dir, 'stale-go');
  writeFileSync(go, '');
  const c = child(dir, name, go, '-');
  await c.lineCount(2);
  assert.equal(c.lines[1], 'held');
  c.proc.kill('SIGKILL');
  await c.exited;
  rmSync(go);
}

test('many processes taking over a dead owner’s lock at the same moment: exactly one holds it, every round', async () => {
  const ROUNDS = 20;
  const PROCESSES = 8;
  const holders: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const dir = join(scratch, `race-${round}`);
    const name = 'f746-0671FF000000000000000000';
    await staleLock(dir, name);
    const go = join(dir, 'go');
    const done = join(dir, 'done');
    const children = Array.from({ length: PROCESSES }, () => child(dir, name, go, done));
    await Promise.all(children.map((c) => c.lineCount(1)));
    writeFileSync(go, '');
    await Promise.all(children.map((c) => c.lineCount(2)));
    holders.push(children.filter((c) => c.lines[1] === 'held').length);
    for (const c of children) if (c.lines[1] !== 'held') assert.match(c.lines[1]!, /^refused .* is in use by /);
    writeFileSync(done, '');
    assert.deepEqual(await Promise.all(children.map((c) => c.exited)), Array<number>(PROCESSES).fill(0));
  }
  assert.deepEqual(holders, Array<number>(ROUNDS).fill(1), `holders per round of ${PROCESSES} processes`);
});

test('a held lock is refused without waiting, naming the holder; waited for otherwise; free again once released', async () => {
  const dir = join(scratch, 'held');
  mkdirSync(dir);
  const go = join(dir, 'go');
  const done = join(dir, 'done');
  const c = child(dir, 'f412-X', go, done);
  await c.lineCount(1);
  writeFileSync(go, '');
  await c.lineCount(2);
  assert.equal(c.lines[1], 'held');
  await assert.rejects(lockBoard(dir, 'f412-X', { wait: false }), (e: Error) => {
    assert.match(
      e.message,
      new RegExp(`f412-X is in use by rig process ${c.proc.pid} \\(since .*\\) \\(lock .*f412-X\\.lock\\.db\\); without --no-wait rig waits for it`),
    );
    return true;
  });
  // An abort stops the wait.
  const ac = new AbortController();
  const waiting = lockBoard(dir, 'f412-X', { wait: true, signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  await assert.rejects(waiting, { name: 'AbortError' });
  // Released while waited for: taken.
  const started = performance.now();
  const taken = lockBoard(dir, 'f412-X', { wait: true });
  setTimeout(() => writeFileSync(done, ''), 200);
  const lock = await taken;
  assert.ok(performance.now() - started < 5_000);
  assert.equal(await c.exited, 0);
  // Held by this process now: a second take in the same process is refused too.
  await assert.rejects(lockBoard(dir, 'f412-X', { wait: false }), new RegExp(`rig process ${process.pid} `));
  lock.release();
  lock.release();
  const again = await lockBoard(dir, 'f412-X', { wait: false });
  again.release();
  assert.equal(existsSync(join(dir, 'f412-X.owner')), false);
});

test('a process is told from another that reuses its pid by its start time', () => {
  assert.match(processStart(process.pid) ?? '', /^\d+$/);
  assert.equal(processStart(2 ** 22 + 1), null);
});
