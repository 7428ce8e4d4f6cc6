// The dsp kernel variant through the real compiler and QEMU: odd shapes, random specs and a zoo
// network under every schedule must give the reference output bit for bit with the planned arena;
// on a few cases it must also take fewer instructions than the reference kernels.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchCase, planFor, type BenchContext, type BenchCase } from '../bench/bench.js';
import { loadBoard } from '../config/board.js';
import { loadModel } from '../config/model.js';
import { createQemuRunner } from '../deploy/qemu.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec, type ModelSpecInput } from '../model/spec.js';
import { randomSpec } from '../model/testing.js';
import type { Model } from '../model/ir.js';
import { ROOT } from '../util/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-dsp-'));

// Odd sizes and channel counts, every depthwise kernel size, stride 2 at odd inputs, pad 0, a
// residual add, 1-pixel outputs.
const oddSpec: ModelSpecInput = {
  name: 'odd-shapes',
  input: [13, 9, 5],
  blocks: [
    { type: 'conv2d', out: 7, k: 3, stride: 2, act: 'relu6' },
    { type: 'mbconv', expand: 1, out: 7, k: 5, stride: 1 },
    { type: 'mbconv', expand: 3, out: 7, k: 3, stride: 1 },
    { type: 'dwconv2d', k: 5, stride: 1, act: 'relu' },
    { type: 'mbconv', expand: 2.5, out: 9, k: 7, stride: 2 },
    { type: 'dwconv2d', k: 7, stride: 2, act: 'none' },
    { type: 'conv2d', out: 11, k: 1, act: 'relu' },
    { type: 'conv2d', out: 6, k: 2, stride: 1, pad: 0, act: 'none' },
    { type: 'avgpool' },
    { type: 'fc', out: 3, act: 'relu' },
  ],
};

// Wide enough for interior columns in every kernel size, odd channel counts, both strides.
const wideSpec: ModelSpecInput = {
  name: 'wide-odd',
  input: [21, 19, 3],
  blocks: [
    { type: 'conv2d', out: 13, k: 3, stride: 2, act: 'relu6' },
    { type: 'mbconv', expand: 3, out: 13, k: 3, stride: 1 },
    { type: 'mbconv', expand: 2, out: 13, k: 5, stride: 1 },
    { type: 'mbconv', expand: 3, out: 15, k: 7, stride: 1 },
    { type: 'dwconv2d', k: 3, stride: 2, act: 'relu' },
    { type: 'mbconv', expand: 2, out: 15, k: 5, stride: 2 },
    { type: 'conv2d', out: 9, k: 1, stride: 2, act: 'none' },
    { type: 'avgpool' },
    { type: 'fc', out: 5 },
  ],
};

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

test('dsp kernels: odd shapes and random specs under every schedule run bit-exact in QEMU, arena measured = planned', async () => {
  const ctx = await context('dsp');
  const models = [model(oddSpec, 1), model(wideSpec, 2), ...[21, 22, 23, 24].map((seed) => model(randomSpec(seed, { minSize: 12 }), seed))];
  for (const m of models)
    for (const schedule of ['layer', 'patch', 'stream1d', 'stream2d'] as const) {
      const tiled = schedule === 'layer' ? {} : { patches: 2, split: 2 };
      await okRow(ctx, { model: m, schedule, ...tiled });
    }
});

test('dsp kernels take fewer instructions than the reference kernels, bit-exact: mcunet-in0 layer-wise and odd shapes', async () => {
  const dsp = await context('dsp');
  const reference = await context('reference');
  for (const c of [
    { model: await loadModel('mcunet-in0', 1), schedule: 'layer' as const },
    { model: model(wideSpec, 2), schedule: 'stream2d' as const, patches: 2, split: 2 },
  ]) {
    const fast = await okRow(dsp, c);
    const slow = await benchCase(reference, planFor(c));
    assert.equal(slow.status, 'ok', slow.detail ?? '');
    assert.equal(fast.outputCrc32, slow.outputCrc32);
    assert.ok(fast.latency!.median < slow.latency!.median, `${c.model.name}: dsp ${fast.latency!.median} vs reference ${slow.latency!.median}`);
    if (c.model.name === 'mcunet-in0') {
      // Both as recorded (rig/bench/testdata/default-bench.json, layer-wise first).
      const recorded = JSON.parse(readFileSync(join(ROOT, 'rig', 'bench', 'testdata', 'default-bench.json'), 'utf8')) as Record<
        string,
        { instructions: number }[]
      >;
      assert.equal(slow.latency!.median, recorded['reference']![0]!.instructions);
      assert.equal(fast.latency!.median, recorded['dsp']![0]!.instructions);
    }
  }
});
