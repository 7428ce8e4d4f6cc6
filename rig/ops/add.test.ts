import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quantizeMultiplier } from '../model/quant.js';
import { add, type AddOp } from './add.js';
import { tensorsOf } from './testing.js';

// Scales 1/2 for both inputs and ×2 (shift 2 of 2^30 = ×2) back: the sum of the offsets.
const half = quantizeMultiplier(0.5);
const op: AddOp = {
  kind: 'add',
  name: 'a',
  block: 0,
  inputs: [0, 1],
  output: 2,
  leftShift: 0,
  scale1: half,
  scale2: half,
  outScale: quantizeMultiplier(2),
  actMin: -128,
  actMax: 100,
};
const tensors = tensorsOf([[1, 2, 2], 3], [[1, 2, 2], -1], [[1, 2, 2], 5]);

test('add sums the inputs less their zero points, each rescaled, plus the output zero point, clamped', () => {
  // (a-3)/2 and (b+1)/2 are each rounded (half away from zero) before the sum is doubled.
  const out = add.reference(op, [Int8Array.from([3, 13, 103, -7]), Int8Array.from([-1, 9, 99, -11])], tensors);
  // 0+0 → 5; 5+5 = 10 → 25; 50+50 = 100 → 205, clamped to 100; -5 + -5 = -10 → -15.
  assert.deepEqual([...out], [5, 25, 100, -15]);
});

test('add reads exactly the region it writes, may write over either input, the second first', () => {
  assert.deepEqual(add.inputSpan(op, 1, 0, { lo: 2, hi: 5 }, 9, true), { lo: 2, hi: 5 });
  assert.deepEqual(add.overwrites, [1, 0]);
  assert.equal(add.inPlaceScratchBytes(op, 100), 0);
  assert.equal(add.wholeTensor, null);
  assert.equal(add.paperLayerBytes(op, [4, 4], 4), null); // not a layer in MCUNetV2's metric
});

test("add's checks name the mismatch", () => {
  assert.deepEqual(add.check(op, tensors), []);
  assert.deepEqual(add.check(op, tensorsOf([[1, 2, 2], 0], [[2, 1, 2], 0], [[1, 2, 2], 0])), [
    'inputs: expected two tensors of one shape, found 1×2×2 and 2×1×2',
  ]);
  assert.deepEqual(add.check({ ...op, inputs: [0] }, tensors), ['inputs: expected 2 tensors, found 1']);
  assert.deepEqual(add.check({ ...op, actMin: 10, actMax: 5 }, tensors), ['activation range: expected -128 <= min <= max <= 127, found [10, 5]']);
});
