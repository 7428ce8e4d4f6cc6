import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPrng } from '../model/prng.js';
import { expOnNegativeValues, oneOverOnePlusX, softmax, softmaxParams, type SoftmaxOp } from './softmax.js';
import { tensorsOf } from './testing.js';

const op = (beta = 1, inputScale = 1 / 16): SoftmaxOp => ({
  kind: 'softmax',
  name: 's',
  block: 0,
  inputs: [0],
  output: 1,
  ...softmaxParams(beta, inputScale)!,
});

test("softmax's preparation from beta and the input scale, as TFLite's PreprocessSoftmaxScaling and CalculateInputRadius", () => {
  // 1 · 1/16 · 2^26 = 2^22: multiplier 2^30 at a left shift of 23; differences of -248 and more count.
  assert.deepEqual(softmaxParams(1, 1 / 16), { inputMultiplier: 2 ** 30, inputLeftShift: 23, diffMin: -248 });
  // 0.7 · 0.1 · 2^26 = 4697620.48 = 0.56 · 2^23.
  const real = 0.7 * 0.1 * 2 ** 26;
  assert.deepEqual(softmaxParams(0.7, 0.1), { inputMultiplier: Math.round((real / 2 ** 23) * 2 ** 31), inputLeftShift: 23, diffMin: -248 });
  // Capped at 2^31 - 1: the left shift reaches 31, and only the maximum counts.
  assert.deepEqual(softmaxParams(1, 64), { inputMultiplier: 2 ** 31 - 1, inputLeftShift: 31, diffMin: 0 });
  // beta · scale · 2^26 not above 1: TFLite refuses.
  assert.equal(softmaxParams(1, 2 ** -27), null);
});

test("gemmlowp's fixed-point exp on negative values, Q5.26 in, Q0.31 out", () => {
  assert.equal(expOnNegativeValues(0), 2 ** 31 - 1);
  for (const x of [-1 / 64, -0.25, -0.3, -1, -2.5, -7.9, -16, -31.99]) {
    const found = expOnNegativeValues(Math.round(x * 2 ** 26)) / 2 ** 31;
    assert.ok(Math.abs(found - Math.exp(x)) < 1e-6, `exp(${x}): ${found}, expected ${Math.exp(x)}`);
  }
});

test("gemmlowp's reciprocal 1 / (1 + x) on [0, 1), Q0.31 in and out, to a few units of its last place", () => {
  for (let i = 0; i < 1000; i++) {
    const x = Math.floor((i / 1000) * 2 ** 31);
    const found = oneOverOnePlusX(x) / 2 ** 31;
    assert.ok(Math.abs(found - 1 / (1 + x / 2 ** 31)) < 1e-8, `1/(1 + ${x / 2 ** 31}): ${found}`);
  }
});

test('softmax by hand: a lone maximum is 1 (127), equal values share, differences past diffMin are 0 (-128)', () => {
  const tensors = tensorsOf([[1, 3, 4], 0], [[1, 3, 4], -128]);
  // Pixel 0: one value 255 steps above the rest (past -248): 127 and -128s. Pixel 1: four equal
  // values, 1/4 each: 64 - 128 = -64. Pixel 2: two equal maxima and two past diffMin: 0 and -128.
  const input = Int8Array.from([127, -128, -128, -128, 5, 5, 5, 5, 100, -128, 100, -128]);
  assert.deepEqual([...softmax.reference(op(), [input], tensors)], [127, -128, -128, -128, -64, -64, -64, -64, 0, -128, 0, -128]);
  // At scale 1 differences below -15 are cut off before they are rescaled: -32 · 2^27 would wrap to
  // 0, whose exp is 1.
  const coarse = op(1, 1);
  assert.deepEqual([coarse.inputLeftShift, coarse.diffMin], [27, -15]);
  const two = tensorsOf([[1, 1, 4], 0], [[1, 1, 4], -128]);
  assert.deepEqual([...softmax.reference(coarse, [Int8Array.from([10, -22, -128, 10])], two)], [0, -128, -128, 0]);
});

test('softmax is within one step of the real softmax of each pixel', () => {
  const r = createPrng(5, 1);
  const channels = 37;
  const input = Int8Array.from({ length: 6 * channels }, () => r.int(-60, 60));
  const tensors = tensorsOf([[2, 3, channels], 3], [[2, 3, channels], -128]);
  const out = softmax.reference(op(1.3, 0.07), [input], tensors);
  for (let p = 0; p < 6; p++) {
    const row = [...input.subarray(p * channels, (p + 1) * channels)];
    const max = Math.max(...row);
    const exps = row.map((v) => Math.exp(1.3 * 0.07 * (v - max)));
    const sum = exps.reduce((a, b) => a + b, 0);
    exps.forEach((e, c) => {
      const expected = Math.min(127, Math.round((256 * e) / sum) - 128);
      assert.ok(Math.abs(out[p * channels + c]! - expected) <= 1, `pixel ${p} channel ${c}: ${out[p * channels + c]}, real ${expected}`);
    });
  }
});

test('softmax reads the pixels it writes, may write over its input, and requires zero point -128', () => {
  assert.deepEqual(softmax.inputSpan(op(), 0, 0, { lo: 2, hi: 5 }, 9, true), { lo: 2, hi: 5 });
  assert.equal(softmax.wholeTensor, null);
  assert.deepEqual(softmax.overwrites, [0]);
  assert.equal(softmax.inPlaceScratchBytes(op(), 100), 0);
  assert.deepEqual(softmax.outputShape(op(), [[3, 2, 5]]), [3, 2, 5]);
  assert.deepEqual(softmax.check(op(), tensorsOf([[1, 1, 4], 0], [[1, 1, 4], -128])), []);
  assert.deepEqual(softmax.check({ ...op(), inputLeftShift: 32, diffMin: 3 }, tensorsOf([[1, 1, 4], 0], [[1, 1, 4], 0])), [
    'output zero point: expected -128, found 0',
    'input multiplier: expected a Q31 multiplier from 2^30 to 2^31-1 and a left shift from 0 to 31, found 1073741824 and 32',
    'diffMin: expected a whole number ≤ 0, found 3',
  ]);
});
