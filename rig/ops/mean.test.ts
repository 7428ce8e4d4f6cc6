import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quantizeMultiplier } from '../model/quant.js';
import { mean, meanRequant, type MeanOp } from './mean.js';
import { tensorsOf } from './testing.js';

const op = (scale = meanRequant(1, 1, 4)): MeanOp => ({ kind: 'mean', name: 'm', block: 0, inputs: [0], output: 1, scale });

test("the mean's requantization folds 1/count into the multiplier as TFLite's MEAN does", () => {
  // Equal scales: QuantizeMultiplier(1) is 2^30 at shift 1; over 4 values, 2^32 / 4 at shift 1 - 2.
  assert.deepEqual(meanRequant(0.1, 0.1, 4), { multiplier: 2 ** 30, shift: -1 });
  assert.deepEqual(meanRequant(0.1, 0.1, 1), { multiplier: 2 ** 30, shift: 1 });
  // ×2 over 3 values: 2^31 / 3 truncated, at shift 2 - 1.
  assert.deepEqual(meanRequant(0.5, 0.25, 3), { multiplier: 715827882, shift: 1 });
  // The shift left stops at 31 + the multiplier's shift: 2^-25 over 1024 values shifts by 7, not 10.
  assert.deepEqual(quantizeMultiplier(2 ** -25), { multiplier: 2 ** 30, shift: -24 });
  assert.deepEqual(meanRequant(2 ** -25, 1, 1024), { multiplier: 2 ** 27, shift: -31 });
});

test('a mean by hand: less the input zero point, rounded (half away from zero), plus the output zero point, clamped', () => {
  // Channel 0: 1, 2, 3, 5 less -3 is 23, /4 = 5.75 → 6, + 5 = 11. Channel 1: -3, -3, -3, -4 less -3
  // is -1, /4 = -0.25 → 0, + 5 = 5.
  const tensors = tensorsOf([[2, 2, 2], -3], [[1, 1, 2], 5]);
  assert.deepEqual([...mean.reference(op(), [Int8Array.from([1, -3, 2, -3, 3, -3, 5, -4])], tensors)], [11, 5]);
  // Input scale twice the output's, over 3 pixels: (3 + 4 + 5) / 3 · 2 = 8; 100s give 200, clamped to 127.
  const twice = op(meanRequant(0.5, 0.25, 3));
  const three = tensorsOf([[3, 1, 2], 0], [[1, 1, 2], 0]);
  assert.deepEqual([...mean.reference(twice, [Int8Array.from([3, 100, 4, 100, 5, 100])], three)], [8, 127]);
});

test('a mean reads its whole input, is one pixel per channel, and names a bad requantization', () => {
  assert.deepEqual(mean.outputShape(op(), [[7, 5, 3]]), [1, 1, 3]);
  assert.deepEqual(mean.inputSpan(op(), 0, 1, { lo: 0, hi: 1 }, 5, true), { lo: 0, hi: 5 });
  assert.match(mean.wholeTensor!, /mean over rows and columns/);
  const tensors = tensorsOf([[7, 5, 3], 0], [[1, 1, 3], 0]);
  assert.deepEqual(mean.check(op(), tensors), []);
  assert.deepEqual(mean.check(op({ multiplier: -1, shift: 40 }), tensors), [
    'requantization: expected a multiplier from 0 to 2^31-1 and a shift from -31 to 30, found -1 and 40',
  ]);
  assert.deepEqual(mean.check({ ...op(), inputs: [0, 0] }, tensors), ['inputs: expected 1 tensor, found 2']);
  assert.equal(mean.paperLayerBytes(op(), [105], 3), 108);
});
