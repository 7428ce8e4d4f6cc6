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
