// The dsp kernel variant through the real compiler and QEMU, beside what variants.e2e.test.ts checks
// of every variant: a wide odd-shape spec bit-exact in fewer instructions than the reference
// kernels, convolutions at the edges of the fast requantization's range, and mcunet-in0 under
// every schedule as recorded for both variants.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchRecord, emulatedContext, recordedBench } from '../bench/testing.js';
import { benchCase, planFor, type BenchContext, type BenchCase } from '../bench/bench.js';
import { loadModel } from '../config/model.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec, type ModelSpecInput } from '../model/spec.js';
import { WIDE_ODD_SPEC } from '../model/testing.js';
import type { Model } from '../model/ir.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-dsp-'));

function model(spec: ModelSpecInput, seed: number): Model {
  return lowerModel(parseModelSpec(spec, spec.name), seed);
}

const context = (kernels: string) => emulatedContext(kernels, dir);

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

/** Each conv2d's requantization and output zero point replaced by `edges[i]`'s, layer by layer. */
function withRequant(m: Model, edges: { shift: number[]; multiplier: number[]; bias?: number[]; outZp: number; act?: [number, number] }[]): Model {
  const convs = m.ops.filter((op) => op.kind === 'conv2d');
  assert.equal(convs.length, edges.length);
  const outZp = new Map(convs.map((op, i) => [op.output, edges[i]!.outZp]));
  return {
    ...m,
    tensors: m.tensors.map((t) => (outZp.has(t.id) ? { ...t, zeroPoint: outZp.get(t.id)! } : t)),
    ops: m.ops.map((op) => {
      if (op.kind !== 'conv2d') return op;
      const e = edges[convs.indexOf(op)]!;
      const n = op.requant.bias.length;
      const cycle = (values: number[]) => Int32Array.from({ length: n }, (_, c) => values[c % values.length]!);
      const bias = Int32Array.from(op.requant.bias, (b, c) => e.bias?.[c] ?? b);
      const [actMin, actMax] = e.act ?? [op.requant.actMin, op.requant.actMax];
      return { ...op, requant: { bias, multiplier: cycle(e.multiplier), shift: cycle(e.shift), actMin, actMax } };
    }),
  };
}

test('dsp convolutions stay bit-exact at the edges of the fast requantization and beside it', async () => {
  // 1×1 and 3×3 convolutions whose channels sit at the fast path's edges: right shifts of 1 and
  // 22, the largest multiplier, extreme output zero points, biases at the largest accumulator the
  // range check admits (|bias| + taps · 255 · 128 just under 2^30); then a shift of 0 and a narrow
  // activation range, which the fast path leaves to the general one.
  const spec: ModelSpecInput = {
    name: 'rq-edges',
    input: [9, 11, 13],
    blocks: [
      { type: 'conv2d', out: 13, k: 1, act: 'none' },
      { type: 'conv2d', out: 11, k: 3, stride: 1, act: 'relu' },
      { type: 'conv2d', out: 9, k: 3, stride: 2, act: 'relu6' },
      { type: 'conv2d', out: 6, k: 1, act: 'none' },
    ],
  };
  const edge = (taps: number) => 2 ** 30 - taps * 255 * 128 - 1;
  const m = withRequant(model(spec, 3), [
    { shift: [-1, -22, -9], multiplier: [2 ** 31 - 1, 2 ** 30, 0x5a827999], bias: [edge(13), -edge(13)], outZp: 127 },
    { shift: [-22, -1, -2], multiplier: [2 ** 30, 2 ** 31 - 1], bias: [-edge(13 * 9), edge(13 * 9)], outZp: -128 },
    { shift: [0, -9, -8], multiplier: [2 ** 30 + 12345], outZp: 5 },
    { shift: [-9], multiplier: [0x6a09e667], outZp: -3, act: [-100, 90] },
  ]);
  const ctx = await context('dsp');
  await okRow(ctx, { model: m, schedule: 'layer' });
  await okRow(ctx, { model: m, schedule: 'stream2d', patches: 2, split: 2 });
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

test('a dead channel (multiplier 0, any shift, a bias near 2^31) keeps every dsp kernel on its fast path, bit-exact', async () => {
  // Trained networks have them (a TFLite file's per-channel scale of 0): their output is the zero
  // point whatever the accumulator, so no range check need send the layer to the reference loop,
  // which would take several times the instructions.
  const spec: ModelSpecInput = {
    name: 'dead-channels',
    input: [10, 9, 16],
    blocks: [
      { type: 'conv2d', out: 16, k: 1, act: 'relu' },
      { type: 'dwconv2d', k: 3, stride: 1, act: 'relu6' },
      { type: 'conv2d', out: 12, k: 3, stride: 2, act: 'none' },
      { type: 'avgpool' },
      { type: 'fc', out: 10 },
    ],
  };
  const alive = model(spec, 4);
  const dead: Model = {
    ...alive,
    ops: alive.ops.map((op) => {
      if (!('requant' in op)) return op;
      const { bias, multiplier, shift } = op.requant;
      const at = (values: Int32Array, edit: Record<number, number>) => Int32Array.from(values, (v, c) => edit[c] ?? v);
      return {
        ...op,
        requant: {
          ...op.requant,
          bias: at(bias, { 3: 2 ** 31 - 1, 5: -(2 ** 31) }),
          multiplier: at(multiplier, { 3: 0, 5: 0 }),
          shift: at(shift, { 3: 0, 5: 9 }),
        },
      };
    }),
  };
  const ctx = await context('dsp');
  const a = await okRow(ctx, { model: alive, schedule: 'layer' });
  const d = await okRow(ctx, { model: dead, schedule: 'layer' });
  const ratio = d.latency!.median / a.latency!.median;
  assert.ok(ratio < 1.03, `with dead channels ${d.latency!.median} instructions, without ${a.latency!.median}`);
});

test("the dsp global average pool is bit-exact at its halfword sums' limit and past it", async () => {
  // 256 pixels of 127 or of -128 are the largest sums the halfword lanes hold; 272 of -128 would
  // overflow them, and take the channel-at-a-time loop; 7 channels leave three past the last word.
  const ctx = await context('dsp');
  for (const [h, w, fill] of [
    [16, 16, 127],
    [16, 16, -128],
    [15, 17, null],
    [17, 16, -128],
  ] as const) {
    const m = model({ name: `pool-${h}x${w}`, input: [h, w, 7], blocks: [{ type: 'avgpool' }] }, 6);
    await okRow(ctx, { model: fill === null ? m : { ...m, inputData: new Int8Array(m.inputData.length).fill(fill) }, schedule: 'layer' });
  }
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
