// The emulated runner when QEMU never gets to talk: it fails before opening its UART socket, or
// right after rig connected, or the socket's path cannot be made. Each ends in a device-error at
// boot that says why, promptly, and leaves no socket folder behind.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadBoard, type Board } from '../config/board.js';
import { createQemuRunner } from './qemu.js';

// The runner makes its socket folders under TMPDIR: a fresh one shows what it leaves behind.
const scratch = mkdtempSync(join(tmpdir(), 'rig-qemu-test-'));
process.env['TMPDIR'] = scratch;
after(() => rmSync(scratch, { recursive: true, force: true }));
const f746 = await loadBoard('f746');

/** One run of `elfPath` on `board`, with how long it took. */
async function runOn(board: Board, elfPath: string) {
  const started = performance.now();
  const outcome = await createQemuRunner(board).run({
    elfPath,
    expect: { fw: '00000000', model: 'm', schedule: 'layer', board: board.id },
    warmup: 0,
    runs: 1,
    inferenceTimeoutMs: 5_000,
  });
  return { outcome, ms: performance.now() - started };
}

test('QEMU that exits before opening its UART socket: a device-error at boot with its stderr, no wait', async () => {
  const board = { ...f746, emulation: { ...f746.emulation, qemuMachine: 'no-such-machine' } };
  const { outcome, ms } = await runOn(board, join(scratch, 'fw.elf'));
  assert.ok(!outcome.ok);
  assert.equal(outcome.status, 'device-error');
  assert.equal(outcome.phase, 'boot');
  assert.match(outcome.detail, /^QEMU did not start: qemu-system-arm ended before printing .*: exit code 1: qemu-system-arm -M no-such-machine /);
  assert.match(outcome.detail, /\nqemu-system-arm: unsupported machine type\n/);
  assert.ok(ms < 5_000, `took ${ms} ms`);
  assert.deepEqual(readdirSync(scratch), []);

  const attached = await createQemuRunner(board).attach({ elfPath: join(scratch, 'fw.elf'), fw: '00000000', timeoutMs: 10_000 }, () =>
    Promise.resolve({ finished: true }),
  );
  assert.ok(!attached.ok);
  assert.equal(attached.phase, 'boot');
  assert.match(attached.detail, /^QEMU did not start: .*unsupported machine type/s);
});

test('QEMU that exits right after rig connected: the link closes at boot and the row says what QEMU said', async () => {
  const { outcome, ms } = await runOn(f746, join(scratch, 'missing.elf'));
  assert.ok(!outcome.ok);
  assert.equal(outcome.status, 'telemetry-error');
  assert.equal(outcome.phase, 'boot');
  assert.match(outcome.detail, /^the link closed in phase boot.*; QEMU ended: exit code 1: .*\nqemu-system-arm: Could not load kernel '.*missing\.elf'$/s);
  assert.ok(ms < 5_000, `took ${ms} ms`);
  assert.deepEqual(readdirSync(scratch), []);
});

test('a temporary folder that is missing, or too deep for a unix socket, is named, and QEMU is not started', async () => {
  const deep = join(scratch, 'd'.repeat(100));
  mkdirSync(deep);
  try {
    process.env['TMPDIR'] = join(scratch, 'missing');
    const missing = (await runOn(f746, join(scratch, 'fw.elf'))).outcome;
    assert.ok(!missing.ok);
    assert.equal(missing.status, 'device-error');
    assert.equal(missing.phase, 'boot');
    assert.match(missing.detail, /^QEMU did not start: no folder for its UART socket: ENOENT: .*missing\/rig-qemu-/);

    process.env['TMPDIR'] = deep;
    const { outcome } = await runOn(f746, join(scratch, 'fw.elf'));
    assert.ok(!outcome.ok);
    assert.equal(outcome.status, 'device-error');
    assert.equal(outcome.phase, 'boot');
    assert.match(outcome.detail, /^QEMU did not start: the UART socket's path .* is longer than 107 bytes: set TMPDIR to a shorter folder$/);
    assert.deepEqual(readdirSync(deep), []);
  } finally {
    process.env['TMPDIR'] = scratch;
  }
});
