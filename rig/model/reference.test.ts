import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Model, Requant } from './ir.js';
import { interpret, referenceOutput } from './reference.js';
import { lowerModel } from './lower.js';
import { parseModelSpec } from './spec.js';
import { TINY_CNN } from './zoo.js';

// Multiplier 2^30 with shift 0 is exactly ×0.5; with shift 1, ×1.
const unit = (channels: number, bias: number[], shift = 1, actMin = -128, actMax = 127): Requant => ({
  bias: Int32Array.from(bias),
  multiplier: new Int32Array(channels).fill(1 << 30),
  shift: new Int32Array(channels).fill(shift),
  actMin,
  actMax,
});

test('depthwise stride 2, relu clamp, average pool rounding and fully connected by hand', () => {
  const model: Model = {
    name: 'hand2',
    seed: 0,
    tensors: [
      { id: 0, name: 'in', shape: [2, 2, 2], zeroPoint: 0 },
      { id: 1, name: 'dw', shape: [1, 1, 2], zeroPoint: 0 },
      { id: 2, name: 'pool', shape: [1, 1, 2], zeroPoint: 0 },
      { id: 3, name: 'fc', shape: [1, 1, 1], zeroPoint: 5 },
    ],
    ops: [
      // k=2 stride 2, no padding: per channel the sum of its four values; relu floors at 0.
      {
        kind: 'dwconv2d',
        name: 'd',
        block: 0,
        inputs: [0],
        output: 1,
        kh: 2,
        kw: 2,
        stride: 2,
        padTop: 0,
        padLeft: 0,
        weights: new Int8Array(8).fill(1),
        requant: unit(2, [0, 0], 1, 0, 127),
      },
      { kind: 'avgpool', name: 'p', block: 1, inputs: [1], output: 2, actMin: -128, actMax: 127 },
      // Output = 0.5 × (bias + 2·a - 1·b) + 5
      { kind: 'fc', name: 'f', block: 2, inputs: [2], output: 3, outChannels: 1, weights: Int8Array.from([2, -1]), requant: unit(1, [1], 0) },
    ],
    input: 0,
    output: 3,
    inputData: Int8Array.from([10, -1, 20, -2, 30, -3, 40, -4]),
  };
  const values = interpret(model);
  assert.deepEqual([...values.get(1)!], [100, 0]); // channel 1 sums to -10: relu → 0
  assert.deepEqual([...values.get(2)!], [100, 0]);
  // 0.5 × (1 + 200 - 0) = 100.5 → 101 (round half up), + 5
  assert.deepEqual([...values.get(3)!], [106]);
});

test('average pool rounds half away from zero like TFLite', () => {
  const model: Model = {
    name: 'pool',
    seed: 0,
    tensors: [
      { id: 0, name: 'in', shape: [2, 1, 2], zeroPoint: 0 },
      { id: 1, name: 'out', shape: [1, 1, 2], zeroPoint: 0 },
    ],
    ops: [{ kind: 'avgpool', name: 'p', block: 0, inputs: [0], output: 1, actMin: -128, actMax: 127 }],
    input: 0,
    output: 1,
    inputData: Int8Array.from([3, -3, 4, -4]), // channel 0: (3+4)/2 = 3.5 → 4; channel 1: -3.5 → -4
  };
  assert.deepEqual([...referenceOutput(model)], [4, -4]);
});

test('tiny-cnn output is spread, not saturated', () => {
  const out = referenceOutput(lowerModel(parseModelSpec(TINY_CNN, 't'), 1));
  assert.equal(out.length, 10);
  assert.ok(new Set(out).size >= 6, `output ${[...out]}`);
  assert.ok(
    out.every((v) => v > -128 && v < 127),
    `output ${[...out]}`,
  );
});
