// Whatever ends rig, nothing is left: the real CLI killed with SIGKILL at many points of a run
// leaves no child process behind (QEMU above all, in its first moments), and SIGTERM and SIGHUP
// end a run like Ctrl-C, marked interrupted, with the signal's exit status. A run that a killed
// rig left running is shown as abandoned.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Store } from '../store/db.js';
import { CLI, rigCli } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-lifetime-'));
const db = join(dir, 'rig.db');
const buildDir = join(dir, 'build');
const benchArgs = (runs: number, warmup = 0) => [
  'bench',
  '--model',
  'tiny-cnn',
  '--schedule',
  'layer',
  '--runs',
  String(runs),
  '--warmup',
  String(warmup),
  '--db',
  db,
  '--build-dir',
  buildDir,
];

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  /** Field 22 of /proc/<pid>/stat: with the pid, names one process for good. */
  start: string;
}

function stat(pid: number): Proc | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const fields = s.slice(close + 2).split(' ');
    // A zombie has ended: only its parent's wait is left.
    if (fields[0] === 'Z') return undefined;
    return { pid, ppid: Number(fields[1]), comm: s.slice(s.indexOf('(') + 1, close), start: fields[19]! };
  } catch {
    return undefined;
  }
}

const alive = (p: Proc) => stat(p.pid)?.start === p.start;

/** Every process whose parent is `root` or one of its descendants already seen, added to `seen` (keyed pid:start). */
function collectDescendants(root: number, seen: Map<string, Proc>): void {
  const tree = new Set([root, ...[...seen.values()].map((p) => p.pid)]);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = stat(Number(name));
    if (p === undefined || !tree.has(p.ppid)) continue;
    const key = `${p.pid}:${p.start}`;
    // A child execs setpriv, then the guard's shell, then the tool, under one pid: the last name seen.
    seen.set(key, p);
    tree.add(p.pid);
  }
}

interface Killed {
  /** Every process rig started (and theirs), as seen while it ran. */
  children: Proc[];
  /** Those still running 2 s after rig was killed, and when the last of the rest ended. */
  survivors: Proc[];
  lastEndMs: number;
  /** Whether the process the kill waited for (QEMU, gcc) was seen. */
  sawQemu: boolean;
}

/**
 * Starts rig bench and sends SIGKILL `delayMs` after `trigger` (QEMU seen among its children, or
 * rig started); then waits for every process it started to end.
 */
async function killAt(trigger: 'qemu' | 'arm-none-eabi' | 'start', delayMs: number): Promise<Killed> {
  // Killed while it compiles, a build is never cached: a build folder of its own stays cold.
  const args = trigger === 'arm-none-eabi' ? [...benchArgs(1).slice(0, -1), join(dir, 'build-cold')] : benchArgs(1);
  const rig = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] });
  const pid = rig.pid!;
  const seen = new Map<string, Proc>();
  const exited = once(rig, 'exit');
  let killTimer: NodeJS.Timeout | undefined;
  const kill = () => {
    collectDescendants(pid, seen);
    rig.kill('SIGKILL');
  };
  if (trigger === 'start') killTimer = setTimeout(kill, delayMs);
  const poll = setInterval(() => {
    collectDescendants(pid, seen);
    if (trigger !== 'start' && killTimer === undefined && [...seen.values()].some((p) => p.comm.includes(trigger) && alive(p))) {
      killTimer = setTimeout(kill, delayMs);
    }
  }, 3);
  await exited;
  clearInterval(poll);
  clearTimeout(killTimer);
  const killedAt = performance.now();
  const children = [...seen.values()];
  let left = children.filter(alive);
  while (left.length > 0 && performance.now() - killedAt < 2000) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    left = left.filter(alive);
  }
  const lastEndMs = performance.now() - killedAt;
  for (const p of left) process.kill(p.pid, 'SIGKILL');
  return { children, survivors: left, lastEndMs, sawQemu: children.some((p) => p.comm.includes(trigger === 'start' ? 'qemu' : trigger)) };
}

test('rig killed with SIGKILL at any point leaves no child running: cold build, warm runs, the first 0.4 s of QEMU', async () => {
  const started = performance.now();
  const points: [trigger: 'qemu' | 'arm-none-eabi' | 'start', delayMs: number][] = [
    ['start', 0],
    ['arm-none-eabi', 0],
    ['arm-none-eabi', 300],
    ...Array.from({ length: 11 }, (_, i): ['qemu', number] => ['qemu', i * 40]),
  ];
  // One complete run first, so that most points find the image in the cache and reach QEMU.
  const warm = await rigCli(benchArgs(1), dir);
  assert.equal(warm.code, 0, warm.stderr);
  const report: string[] = [];
  let qemuPoints = 0;
  for (const [trigger, delayMs] of points) {
    const k = await killAt(trigger, delayMs);
    report.push(
      `${trigger}+${delayMs} ms: ${k.children.map((p) => p.comm).join(', ') || 'no child'}; ${k.survivors.length === 0 ? `all ended ${Math.round(k.lastEndMs)} ms after rig` : 'SURVIVORS'}`,
    );
    assert.deepEqual(
      k.survivors.map((p) => `${p.pid} ${p.comm}`),
      [],
      `${trigger} + ${delayMs} ms: still running 2 s after rig was killed\n${report.join('\n')}`,
    );
    if (trigger !== 'start') assert.ok(k.sawQemu, `${trigger} + ${delayMs} ms: no ${trigger} was seen`);
    if (trigger === 'qemu') qemuPoints++;
  }
  process.stderr.write(`${report.join('\n')}\n(${Math.round(performance.now() - started)} ms)\n`);
  assert.ok(qemuPoints >= 10, `QEMU was seen at only ${qemuPoints} of the 11 points after it started`);

  // The runs the killed rigs left running are shown as abandoned, none as running.
  const listed = await rigCli(['results', '--runs', '--limit', '100', '--json', '--db', db], dir);
  assert.equal(listed.code, 0, listed.stderr);
  const statuses = (JSON.parse(listed.stdout) as { status: string }[]).map((r) => r.status);
  assert.ok(!statuses.includes('running'), statuses.join(', '));
  assert.ok(statuses.includes('abandoned'), statuses.join(', '));
});

async function stopWith(signal: 'SIGTERM' | 'SIGHUP'): Promise<{ code: number | null; stderr: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, ...benchArgs(1000, 1000)], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let sent = false;
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!sent && stderr.includes('timed inferences')) {
      sent = true;
      // Once the run is stored and QEMU runs.
      setTimeout(() => child.kill(signal), 300);
    }
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr, child };
}

for (const [signal, exitCode] of [
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  test(`${signal} ends a run like Ctrl-C: marked interrupted, a message, exit status ${exitCode}, no QEMU left`, async () => {
    const { code, stderr } = await stopWith(signal);
    assert.equal(code, exitCode, stderr);
    assert.match(stderr, new RegExp(`Interrupted by ${signal}: stopping the current run and marking it interrupted`));
    assert.match(stderr, new RegExp(`rig: Interrupted by ${signal}\\n$`));
    assert.doesNotMatch(stderr, /internal error|\n\s+at /);
    const store = Store.existing(db);
    try {
      const run = store.runs({ limit: 1 })[0]!;
      assert.equal(run.status, 'interrupted');
      assert.notEqual(run.endedAt, null);
    } finally {
      store.close();
    }
    const { stdout } = await promisify(execFile)('ps', ['-eo', 'args']);
    assert.ok(!stdout.split('\n').some((l) => l.includes(buildDir) && l.includes('qemu')), 'a QEMU process is still running');
  });
}

test('timeout 5 rig bench on a long run leaves no run running', async () => {
  // A QEMU that takes a minute to boot keeps the run going past the timeout.
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const qemu = join(bin, 'qemu-system-arm');
  writeFileSync(qemu, '#!/bin/sh\n[ "$1" = --version ] && exec /usr/bin/qemu-system-arm "$@"\nexec sleep 60\n');
  chmodSync(qemu, 0o755);
  const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
  const r = await promisify(execFile)('timeout', ['5', process.execPath, CLI, ...benchArgs(1)], { cwd: dir, env }).catch(
    (e: { code?: number; stderr?: string }) => e,
  );
  assert.equal((r as { code?: number }).code, 124, (r as { stderr?: string }).stderr);
  const store = Store.existing(db);
  try {
    const runs = store.runs();
    assert.deepEqual(
      runs.filter((run) => run.status === 'running').map((run) => run.id),
      [],
    );
    assert.equal(runs[0]!.status, 'interrupted', JSON.stringify(runs.map((run) => [run.id, run.status, run.startedAt])) + (r as { stderr: string }).stderr);
    assert.match((r as { stderr: string }).stderr, /rig: Interrupted by SIGTERM\n$/);
  } finally {
    store.close();
  }
});
