// The dsp kernel variant through the real compiler and QEMU, beside what variants.e2e.test.ts checks
// of every variant: a wide odd-shape spec bit-exact in fewer instructions than the reference
// kernels, and mcunet-in0 under every schedule as recorded for both variants.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchRecord, recordedBench } from '../bench/testing.js';
import { benchCase, planFor, type BenchContext, type BenchCase } from '../bench/bench.js';
import { loadBoard } from '../config/board.js';
import { loadModel } from '../config/model.js';
import { createQemuRunner } from '../deploy/qemu.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec, type ModelSpecInput } from '../model/spec.js';
import { WIDE_ODD_SPEC } from '../model/testing.js';
import type { Model } from '../model/ir.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-dsp-'));

function model(spec: ModelSpecInput, seed: number): Model {
  return lowerModel(parseModelSpec(spec, spec.name), seed);
}

async function context(kernels: string): Promise<BenchContext> {
  return {
    runner: createQemuRunner(await loadBoard('f746')),
    seed: 1,
    warmup: 0,
    runs: 1,
    inferenceTimeoutMs: 60_000,
    kernels,
    buildRoot: join(dir, 'build'),
  };
}

async function okRow(ctx: BenchContext, c: BenchCase) {
  const row = await benchCase(ctx, planFor(c));
  const what = `${c.model.name} ${c.schedule}: ${row.detail ?? ''}`;
  assert.equal(row.kernelVariant, 'dsp', what);
  assert.equal(row.status, 'ok', what);
  assert.equal(row.outputCrc32, row.referenceCrc32, what);
  assert.equal(row.memory.measuredArenaBytes, row.memory.plannedArenaBytes, what);
  return row;
}

test('dsp kernels take fewer instructions than the reference kernels, bit-exact, on a wide odd-shape spec', async () => {
  const c = { model: model(WIDE_ODD_SPEC, 2), schedule: 'stream2d' as const, patches: 2, split: 2 };
  const fast = await okRow(await context('dsp'), c);
  const slow = await benchCase(await context('reference'), planFor(c));
  assert.equal(slow.status, 'ok', slow.detail ?? '');
  assert.equal(fast.outputCrc32, slow.outputCrc32);
  assert.ok(fast.latency!.median < slow.latency!.median, `dsp ${fast.latency!.median} vs reference ${slow.latency!.median}`);
});

// Per-channel requantizations the depthwise fast path treats apart: a left shift (no rounding
// shift), a rounding shift past its range, a bias past its accumulator bound (those channels take
// the reference loop), beside ordinary ones; channels not a multiple of 4; in place and not.
test('dsp depthwise kernels are bit-exact whatever the requantization of each channel', async () => {
  const spec: ModelSpecInput = {
    name: 'dw-requant',
    input: [9, 11, 10],
    blocks: [
      { type: 'dwconv2d', k: 3, stride: 1, act: 'relu6' },
      { type: 'mbconv', expand: 1, out: 10, k: 5, stride: 1 },
      { type: 'dwconv2d', k: 7, stride: 2, act: 'none' },
    ],
  };
  const m = model(spec, 5);
  const shifts = [0, 1, -3, -9, -24, -9, 0, -9, -2, 2];
  const edited: Model = {
    ...m,
    ops: m.ops.map((op) => {
      if (op.kind !== 'dwconv2d') return op;
      const c = op.requant.bias.length;
      const bias = Int32Array.from(op.requant.bias, (b, i) => (i === 5 ? 2 ** 30 - 1000 : b));
      const shift = Int32Array.from({ length: c }, (_, i) => shifts[i % shifts.length]!);
      // Small multipliers where the shift is small, so that the outputs stay inside the byte range.
      const multiplier = Int32Array.from(op.requant.multiplier, (q, i) => (shift[i]! >= -3 ? 2 ** 22 + i : q));
      return { ...op, requant: { ...op.requant, bias, shift, multiplier } };
    }),
  };
  const ctx = await context('dsp');
  await okRow(ctx, { model: edited, schedule: 'layer' });
  for (const schedule of ['patch', 'stream2d'] as const) await okRow(ctx, { model: edited, schedule, patches: 2, split: 2 });
});

test('both variants keep their record: mcunet-in0 under the four default schedules measures the counts, CRCs and arenas in default-bench.json', async () => {
  // Emulated instructions are deterministic; rig bench with no arguments checks the default variant's record the same way.
  const recorded = recordedBench();
  const mcunet = await loadModel('mcunet-in0', 1);
  const measured: Record<string, unknown[]> = {};
  for (const kernels of ['reference', 'dsp']) {
    const ctx = await context(kernels);
    measured[kernels] = [];
    for (const schedule of ['layer', 'patch', 'stream1d', 'stream2d'] as const) {
      const row = await benchCase(ctx, planFor({ model: mcunet, schedule }));
      assert.equal(row.status, 'ok', row.detail ?? '');
      measured[kernels].push(benchRecord(row));
    }
  }
  assert.deepEqual(measured, recorded);
});
