// What the benchmark tests share: the recorded instruction counts, CRCs and arenas of mcunet-in0
// under the four default schedules (testdata/default-bench.json), one list per kernel variant.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBoard } from '../config/board.js';
import { createQemuRunner } from '../deploy/qemu.js';
import type { ResultRow } from '../results/row.js';
import type { BenchContext } from './bench.js';
import { ROOT } from '../util/paths.js';

/** A case's context on the emulated F746: no warm-up, one timed run, images built under `dir`. */
export async function emulatedContext(kernels: string, dir: string, extra: Partial<BenchContext> = {}): Promise<BenchContext> {
  return {
    runner: createQemuRunner(await loadBoard('f746')),
    seed: 1,
    warmup: 0,
    runs: 1,
    inferenceTimeoutMs: 60_000,
    kernels,
    buildRoot: join(dir, 'build'),
    ...extra,
  };
}

/** The part of a row the record keeps. */
export function benchRecord(row: Omit<ResultRow, 'runId'>) {
  return {
    schedule: row.schedule,
    scheduleOptions: row.scheduleOptions,
    instructions: row.latency?.median,
    outputCrc32: row.outputCrc32,
    measuredArenaBytes: row.memory.measuredArenaBytes,
    macs: row.macs,
  };
}

/** The records by kernel variant. */
export function recordedBench(): Record<string, ReturnType<typeof benchRecord>[]> {
  return JSON.parse(readFileSync(join(ROOT, 'rig', 'bench', 'testdata', 'default-bench.json'), 'utf8')) as Record<string, ReturnType<typeof benchRecord>[]>;
}
