// Patch-based and streaming inference through the real parts: random specs and odd shapes are
// planned, compiled with arm-none-eabi-gcc and run in QEMU; the device's output must equal the
// reference and its painted arena high-water mark the plan's peak.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_KERNELS } from '../compile/kernels.js';
import { loadBoard } from '../config/board.js';
import { createQemuRunner } from '../deploy/qemu.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec, type ModelSpecInput } from '../model/spec.js';
import { randomSpec } from '../model/testing.js';
import { planPatches } from '../schedule/patch.js';
import { PlanRefusal } from '../schedule/refusal.js';
import { benchCase, planFor, type BenchContext } from './bench.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-tiled-'));

/** The first (split, P) from the deepest stage down whose P does not divide the stage output. */
function unevenPatches(spec: ModelSpecInput, seed: number) {
  const model = lowerModel(parseModelSpec(spec, spec.name), seed);
  const blocks = model.ops[model.ops.length - 1]!.block + 1;
  for (let split = blocks - 1; split >= 1; split--)
    for (const patches of [3, 2, 4]) {
      try {
        const pp = planPatches(model, { patches, split });
        const [h, w] = model.tensors[pp.stageOutput]!.shape;
        if (h % patches !== 0 || w % patches !== 0) return { model, patches, split };
      } catch (error) {
        if (!(error instanceof PlanRefusal)) throw error;
      }
    }
  return undefined;
}

const oddShapes: ModelSpecInput = {
  name: 'odd-stage',
  input: [23, 17, 3],
  blocks: [
    { type: 'conv2d', out: 5, k: 5, stride: 2, act: 'relu6' },
    { type: 'mbconv', expand: 2, out: 5, k: 7 },
    { type: 'dwconv2d', k: 3, stride: 2, pad: 0, act: 'none' },
    { type: 'mbconv', expand: 3, out: 6, k: 3, stride: 2 },
    { type: 'avgpool' },
    { type: 'fc', out: 2 },
  ],
};

test('patch, stream1d and stream2d schedules of odd shapes and random specs run bit-exact in QEMU, arena measured = planned', async () => {
  const board = await loadBoard('f746');
  const ctx: BenchContext = {
    runner: createQemuRunner(board),
    seed: 1,
    warmup: 0,
    runs: 1,
    inferenceTimeoutMs: 60_000,
    kernels: DEFAULT_KERNELS,
    buildRoot: dir,
  };
  const cases = [
    { model: lowerModel(parseModelSpec(oddShapes, oddShapes.name), 1), patches: 3, split: 3 },
    ...[11, 12, 13, 14, 15, 16].map((seed) => unevenPatches(randomSpec(seed, { minSize: 12 }), seed)).filter((c) => c !== undefined),
  ];
  assert.ok(cases.length >= 6);
  for (const { model, patches, split } of cases)
    for (const schedule of ['patch', 'stream1d', 'stream2d'] as const) {
      const plan = planFor({ model, schedule, patches, split });
      const row = await benchCase(ctx, plan);
      const what = `${model.name} ${schedule} ${patches} split ${split}: ${row.detail}`;
      assert.equal(row.status, 'ok', what);
      assert.equal(row.outputCrc32, row.referenceCrc32, what);
      assert.equal(row.memory.measuredArenaBytes, row.memory.plannedArenaBytes, what);
      assert.deepEqual(row.scheduleOptions, { patches, split });
      assert.ok(row.macs >= row.layerwiseMacs! * 0.5 && row.latency!.median > 0, what);
      // The patches' and windows' steps summed per layer: the schedule's MACs, and with the input
      // and region copies the whole profiled inference, which reads the timer after each step
      // (about 20 instructions each: a small model of many steps spends 1% of its time there)
      // and otherwise equals a timed one.
      const { layers, input, copies, rest, total } = row.profile!;
      assert.equal(
        layers.reduce((a, l) => a + l.macs, 0),
        row.macs,
        what,
      );
      assert.equal(layers.reduce((a, l) => a + l.latency, 0) + input + copies + rest, total, what);
      const marks = total - row.latency!.median;
      assert.ok(marks >= 0 && marks <= 32 * (plan.steps.length + 1), `${what}: profiled ${total}, timed ${row.latency!.median}, ${plan.steps.length} steps`);
      if (schedule === 'stream2d') assert.ok(row.macs <= row.layerwiseMacs!, what);
    }
});
