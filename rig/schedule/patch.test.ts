import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec, type ModelSpecInput } from '../model/spec.js';
import { BUILTIN_MODELS } from '../model/zoo.js';
import { defaultPatchOptions, inputRegion, planPatches, planPatchSchedule } from './patch.js';
import { PlanRefusal } from './refusal.js';
import { gridBounds } from './tiling.js';
import { regionPixels } from './plan.js';
import { checkPlan } from './check.js';
import { planLayerwise } from './layerwise.js';
import { modelMacs } from '../model/ir.js';
import { randomSpec } from '../model/testing.js';
import { randomTiledCases } from './testing.js';

const zoo = (name: string) => lowerModel(parseModelSpec(BUILTIN_MODELS.get(name)!, name), 1);

test('MCUNetV2 Table 1: MobileNetV2 4×4 patches, stage of 5 blocks', () => {
  const pp = planPatches(zoo('mbv2-w1.0-r224'), { patches: 4, split: 5 });
  assert.deepEqual(pp.patchInput, { h: 75, w: 75 });
  assert.deepEqual(pp.model.tensors[pp.stageOutput]!.shape, [28, 28, 32]);
  assert.equal(pp.paperPeakBytes, 175_616); // 171.5 KB, published 172 KB
  assert.equal(pp.restPaperPeakBytes, 25_088 + 150_528);
  // Published: stage +42% (130M), which counts every patch at its interior size.
  assert.equal(pp.macs.stageLayerwise, 91_282_688);
  assert.equal(pp.macs.stagePatchedUnclipped, 129_517_568);
  assert.ok(pp.macs.stagePatched < pp.macs.stagePatchedUnclipped);
  assert.equal(pp.macs.totalPatched - pp.macs.totalLayerwise, pp.macs.stagePatched - pp.macs.stageLayerwise);
});

test('grid cells cover the stage output exactly, also when P does not divide it', () => {
  assert.deepEqual(gridBounds(28, 4), [0, 7, 14, 21, 28]);
  assert.deepEqual(gridBounds(10, 3), [0, 3, 6, 10]);
  const spec: ModelSpecInput = {
    name: 'odd',
    input: [23, 17, 3],
    blocks: [
      { type: 'conv2d', out: 5, k: 5, stride: 2 },
      { type: 'mbconv', expand: 2, out: 5, k: 7 },
      { type: 'mbconv', expand: 3, out: 6, k: 3, stride: 2 },
      { type: 'avgpool' },
      { type: 'fc', out: 2 },
    ],
  };
  const model = lowerModel(parseModelSpec(spec, 'odd'), 3);
  const pp = planPatches(model, { patches: 3, split: 3 });
  const [h, w] = model.tensors[pp.stageOutput]!.shape;
  assert.equal(
    pp.patches.reduce((s, p) => s + regionPixels(p.regions.get(pp.stageOutput)!), 0),
    h * w,
  );
  for (const patch of pp.patches) {
    for (const i of pp.stageOps) {
      const op = model.ops[i]!;
      const out = patch.regions.get(op.output)!;
      // Every input pixel a region's output reads lies inside the region planned for that input.
      op.inputs.forEach((t, k) => {
        const need = inputRegion(model, op, k, out);
        const have = patch.regions.get(t)!;
        assert.ok(have.y0 <= need.y0 && need.y1 <= have.y1 && have.x0 <= need.x0 && need.x1 <= have.x1, `${op.name} patch ${patch.row},${patch.col}`);
        const [ih, iw] = model.tensors[t]!.shape;
        assert.ok(have.y0 >= 0 && have.x0 >= 0 && have.y1 <= ih && have.x1 <= iw);
      });
    }
  }
  // The block input of the residual mbconv is read by its expand conv and by its add.
  assert.ok(pp.macs.stagePatched > pp.macs.stageLayerwise);
});

test('impossible settings are refused as values: the setting, what it was, and why, naming no option', () => {
  const model = zoo('tiny-cnn');
  const refuse = (options: { patches: number; split: number }, expected: { field: string; value: number }, pattern: RegExp) =>
    assert.throws(
      () => planPatches(model, options),
      (e: unknown) =>
        e instanceof PlanRefusal && e.field === expected.field && e.value === expected.value && pattern.test(e.reason) && !e.message.includes('--'),
    );
  refuse({ patches: 40, split: 2 }, { field: 'patches', value: 40 }, /^expected a whole number from 1 to 16 .*16×16/);
  refuse({ patches: 2, split: 4 }, { field: 'split', value: 4 }, /^block 3 of tiny-cnn is avgpool .*split after a global pool/);
  refuse({ patches: 2, split: 0 }, { field: 'split', value: 0 }, /^expected a whole number of blocks from 1 to 4/);
  assert.throws(
    () => defaultPatchOptions(model, { patches: 40 }),
    (e: unknown) => e instanceof PlanRefusal && e.field === 'patches' && /tiny-cnn has no patch stage for a 40×40 grid/.test(e.reason),
  );
  // The default split has the smallest arena of every valid split (the earliest on a tie).
  const chosen = defaultPatchOptions(model, {});
  assert.equal(chosen.patches, 2);
  const peaks = [1, 2, 3].map((split) => planPatchSchedule(model, { patches: 2, split }).arenaBytes);
  assert.equal(chosen.split, peaks.indexOf(Math.min(...peaks)) + 1);
  assert.deepEqual(defaultPatchOptions(model, { split: 2 }), { patches: 2, split: 2 });
});

test('random specs: every layer-wise and patch plan passes the symbolic run, and counts what it executes', () => {
  let patchPlans = 0;
  for (let seed = 1; seed <= 150; seed++) {
    const model = lowerModel(parseModelSpec(randomSpec(seed), `random-${seed}`), seed);
    const layer = planLayerwise(model);
    assert.deepEqual(checkPlan(layer), [], `random-${seed} layer`);
    assert.equal(layer.macs, modelMacs(model));
  }
  for (const { model, patches, split, what } of randomTiledCases(150, [1, 2, 3, 4])) {
    const plan = planPatchSchedule(model, { patches, split });
    patchPlans++;
    assert.deepEqual(checkPlan(plan), [], what);
    assert.equal(plan.macs, planPatches(model, { patches, split }).macs.totalPatched, what);
    // One patch computes only the pixels the output needs: a stride or pad 0 can leave the
    // last rows of a tensor unread, which layer-wise computes anyway.
    if (patches === 1) assert.ok(plan.macs <= modelMacs(model), what);
    assert.ok(plan.arenaBytes >= plan.liveBytesBound, what);
  }
  assert.ok(patchPlans > 300, `only ${patchPlans} patch plans`);
});

test('the symbolic run catches a plan whose buffers clobber a live tensor', () => {
  const model = zoo('tiny-cnn');
  const plan = planPatchSchedule(model, { patches: 2, split: 2 });
  // Move the stage output onto offset 0, where the patches' working buffers live.
  const stageOut = plan.buffers.find((b) => b.first < plan.buffers.length && b.tensors.length === 1 && b.last > 8)!;
  const moved = { ...stageOut, offset: 0 };
  const swap = <T extends { buffer: typeof stageOut }>(s: T): T => (s.buffer === stageOut ? { ...s, buffer: moved } : s);
  const broken = {
    ...plan,
    steps: plan.steps.map((s) =>
      s.kind === 'load'
        ? { ...s, output: swap(s.output) }
        : s.kind === 'copy'
          ? { ...s, input: swap(s.input), output: swap(s.output) }
          : { ...s, inputs: s.inputs.map(swap), output: swap(s.output) },
    ),
  };
  assert.deepEqual(checkPlan(plan), []);
  assert.match(checkPlan(broken).join('\n'), /was overwritten/);
});
