import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conv2d, type Conv2dOp } from './conv2d.js';
import { dwconv2d, type DwConv2dOp } from './dwconv2d.js';
import { tensorsOf, unitRequant } from './testing.js';

const conv = (fields: Partial<Conv2dOp> = {}): Conv2dOp => ({
  kind: 'conv2d',
  name: 'c',
  block: 0,
  inputs: [0],
  output: 1,
  outChannels: 1,
  kh: 3,
  kw: 3,
  stride: 1,
  padTop: 1,
  padLeft: 1,
  weights: new Int8Array(9).fill(1),
  requant: unitRequant(1, [10]),
  ...fields,
});

test('a 3×3 convolution with padding, by hand', () => {
  // All-ones weights: each output is the sum of its 3×3 neighbourhood less the zero point per
  // real tap; padded taps contribute nothing. x - zp = [0..8]; corner: 0+1+3+4 + bias 10 - 2 = 16.
  const tensors = tensorsOf([[3, 3, 1], 1], [[3, 3, 1], -2]);
  assert.deepEqual([...conv2d.reference(conv(), [Int8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9])], tensors)], [16, 23, 20, 29, 44, 35, 28, 41, 32]);
});

test('output shape, MACs and the receptive field of a stride-2 convolution', () => {
  const op = conv({
    kh: 5,
    kw: 3,
    stride: 2,
    padTop: 2,
    padLeft: 0,
    outChannels: 4,
    weights: new Int8Array(4 * 5 * 3 * 6),
    requant: unitRequant(4, [0, 0, 0, 0]),
  });
  assert.deepEqual(conv2d.outputShape(op, [[13, 9, 6]]), [7, 4, 4]);
  assert.equal(conv2d.macsPerOutputPixel(op, tensorsOf([[13, 9, 6], 0], [[7, 4, 4], 0])), 4 * 5 * 3 * 6);
  // Output rows [0, 2) read rows -2 … 4: clipped to [0, 5), or [-2, 5) as if padding were data.
  assert.deepEqual(conv2d.inputSpan(op, 0, 0, { lo: 0, hi: 2 }, 13, true), { lo: 0, hi: 5 });
  assert.deepEqual(conv2d.inputSpan(op, 0, 0, { lo: 0, hi: 2 }, 13, false), { lo: -2, hi: 5 });
  // Columns: no padding, k = 3, stride 2: output [3, 4) reads [6, 9).
  assert.deepEqual(conv2d.inputSpan(op, 0, 1, { lo: 3, hi: 4 }, 9, true), { lo: 6, hi: 9 });
  assert.deepEqual(conv2d.check(op, tensorsOf([[13, 9, 6], 0], [[7, 4, 4], 0])), []);
  assert.deepEqual(conv2d.overwrites, []);
});

test('a depthwise convolution writes over its input with one channel plane of scratch; MCUNetV2 counts it in place', () => {
  const { kh, kw, stride, padTop, padLeft } = conv();
  const op: DwConv2dOp = {
    kind: 'dwconv2d',
    name: 'd',
    block: 0,
    inputs: [0],
    output: 1,
    kh,
    kw,
    stride,
    padTop,
    padLeft,
    weights: new Int8Array(9 * 8),
    requant: unitRequant(8, new Array<number>(8).fill(0)),
  };
  const tensors = tensorsOf([[6, 5, 8], 0], [[6, 5, 8], 0]);
  assert.deepEqual(dwconv2d.check(op, tensors), []);
  assert.deepEqual(dwconv2d.overwrites, [0]);
  assert.equal(dwconv2d.inPlaceScratchBytes(op, 30), 30);
  assert.equal(dwconv2d.paperLayerBytes(op, [240], 60), 240);
  assert.equal(conv2d.paperLayerBytes(conv(), [240], 60), 300);
  assert.equal(dwconv2d.macsPerOutputPixel(op, tensors), 8 * 9);
  assert.deepEqual(dwconv2d.check({ ...op, weights: new Int8Array(9) }, tensors), ['weights: expected 72 values, found 9']);
});

test('padding after the input may differ from before it (SAME at stride 2): the output size, the taps and the check', () => {
  // 4×4 input, k3 s2: padding 0 before and 1 after gives 2×2 (symmetric 0 would give 1×1); the
  // last row and column of windows reach one padded tap. All-ones weights, x - zp = 1 everywhere.
  const op = conv({ stride: 2, padTop: 0, padLeft: 0, padBottom: 1, padRight: 1, requant: unitRequant(1, [0]) });
  assert.deepEqual(conv2d.outputShape(op, [[4, 4, 1]]), [2, 2, 1]);
  assert.deepEqual(conv2d.outputShape({ ...op, padBottom: undefined, padRight: undefined }, [[4, 4, 1]]), [1, 1, 1]);
  const tensors = tensorsOf([[4, 4, 1], 0], [[2, 2, 1], 0]);
  assert.deepEqual([...conv2d.reference(op, [new Int8Array(16).fill(1)], tensors)], [9, 6, 6, 4]);
  assert.deepEqual(conv2d.check(op, tensors), []);
  assert.deepEqual(conv2d.check({ ...op, padBottom: 3 }, tensors), ['padding: expected less than the kernel (3×3), found 0, 0, 3, 1']);
});
