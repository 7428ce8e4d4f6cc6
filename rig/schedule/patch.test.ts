import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec, type ModelSpecInput } from '../model/spec.js';
import { BUILTIN_MODELS } from '../model/zoo.js';
import { UserError } from '../util/errors.js';
import { defaultPatchOptions, gridBounds, inputRegion, planPatches, regionPixels } from './patch.js';

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
  assert.equal(pp.patches.reduce((s, p) => s + regionPixels(p.regions.get(pp.stageOutput)!), 0), h * w);
  for (const patch of pp.patches) {
    for (const i of pp.stageOps) {
      const op = model.ops[i]!;
      const out = patch.regions.get(op.output)!;
      // Every input pixel a region's output reads lies inside the region planned for that input.
      const need = inputRegion(model, op, out);
      const have = patch.regions.get(op.input)!;
      assert.ok(have.y0 <= need.y0 && need.y1 <= have.y1 && have.x0 <= need.x0 && need.x1 <= have.x1, `${op.name} patch ${patch.row},${patch.col}`);
      const [ih, iw] = model.tensors[op.input]!.shape;
      assert.ok(have.y0 >= 0 && have.x0 >= 0 && have.y1 <= ih && have.x1 <= iw);
    }
  }
  // The block input of the residual mbconv is read by its expand conv and by its add.
  assert.ok(pp.macs.stagePatched > pp.macs.stageLayerwise);
});

test('impossible settings are refused with what was expected and found', () => {
  const model = zoo('tiny-cnn');
  const refuse = (options: { patches: number; split: number }, pattern: RegExp) =>
    assert.throws(() => planPatches(model, options), (e: unknown) => e instanceof UserError && pattern.test(e.message));
  refuse({ patches: 40, split: 2 }, /--patches 40: expected a whole number from 1 to 16 .*16×16/);
  refuse({ patches: 2, split: 4 }, /block 3 of tiny-cnn is avgpool .*split after a global pool/);
  refuse({ patches: 2, split: 0 }, /--split 0: expected a whole number of blocks from 1 to 4/);
  // The default split has the lowest patched peak of every valid split (the earliest on a tie).
  const chosen = defaultPatchOptions(model, {});
  assert.equal(chosen.patches, 2);
  const peaks = [1, 2, 3].map((split) => planPatches(model, { patches: 2, split }).paperPeakBytes);
  assert.equal(chosen.split, peaks.indexOf(Math.min(...peaks)) + 1);
  assert.deepEqual(defaultPatchOptions(model, { split: 2 }), { patches: 2, split: 2 });
});
