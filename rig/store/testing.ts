// A result row as `rig bench` stores it for tiny-cnn on the emulated F746, for tests to vary.
import type { ResultRow } from '../results/row.js';

export function sampleRow(runId: number, over: Partial<ResultRow> = {}): ResultRow {
  return {
    runId,
    model: 'tiny-cnn',
    schedule: 'layer',
    scheduleOptions: {},
    board: 'f746',
    runner: 'qemu',
    status: 'ok',
    detail: null,
    latency: { unit: 'instructions', n: 2, min: 2_167_440, median: 2_167_440, max: 2_167_440 },
    samples: [2_167_440, 2_167_440],
    memory: { plannedArenaBytes: 6144, measuredArenaBytes: 6144, stackBytes: 232, flashBytes: 11_024, staticRamBytes: 468, paperPeakBytes: 6144 },
    macs: 106_656,
    layerwiseMacs: 106_656,
    outputCrc32: '35da3dba',
    referenceCrc32: '35da3dba',
    inputCrc32: '6ad5a9f0',
    profile: null,
    kernelVariant: 'reference',
    firmwareId: '12345678',
    seed: 1,
    ...over,
  };
}

/**
 * Another program holding `db`'s write lock: a second better-sqlite3 connection in a child
 * process, `BEGIN IMMEDIATE` for `ms`. Resolves once the lock is held; `released` once it is not.
 */
export async function holdWriteLock(db: string, ms: number): Promise<{ released: Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const { createRequire } = await import('node:module');
  const bsql = createRequire(import.meta.url).resolve('better-sqlite3');
  const code = `const D = require(${JSON.stringify(bsql)}); const d = new D(${JSON.stringify(db)}); d.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n'); setTimeout(() => { d.exec('COMMIT'); d.close(); }, ${ms});`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const released = new Promise<void>((resolve, reject) => child.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`lock holder exited ${c}`)))));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => resolve());
    child.on('exit', () => reject(new Error('lock holder exited before locking')));
  });
  return { released };
}
