import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPrng } from '../model/prng.js';
import { quantizeMultiplier } from '../model/quant.js';
import type { Tensor } from '../model/tensor.js';
import { linear, type LinearOp } from './linear.js';
import { tensorsOf, unitRequant } from './testing.js';

// Two output channels of three inputs, scale 1 (unitRequant's multiplier 2^30 with a left shift of 1).
const op = (bias = [10, -4], actMax = 127): LinearOp => ({
  kind: 'linear',
  name: 'lin',
  block: 0,
  inputs: [0],
  output: 1,
  outChannels: 2,
  weights: Int8Array.from([1, 2, 3, -1, 0, 2]),
  requant: unitRequant(2, bias, 1, -128, actMax),
  hasBias: bias.some((b) => b !== 0),
});

test('linear by hand: each token its own fully connected layer, zero points and bias, clamped', () => {
  const tensors = tensorsOf([[2, 1, 3], 1], [[2, 1, 2], -2]);
  // Token 0: x - 1 = [2, 0, -2]: 10 + 2 - 6 = 6 → 4; -4 - 2 - 4 = -10 → -12.
  // Token 1: x - 1 = [0, 4, 1]: 10 + 8 + 3 = 21 → 19; -4 + 2 = -2 → -4.
  const input = Int8Array.from([3, 1, -1, 1, 5, 2]);
  assert.deepEqual([...linear.reference(op(), [input], tensors)], [4, -12, 19, -4]);
  // A clamp at 15 takes 19 down.
  assert.deepEqual([...linear.reference(op([10, -4], 15), [input], tensors)], [4, -12, 15, -4]);
  // Tokens in rows and columns alike: a [1, 2, 3] tensor is the same two tokens.
  assert.deepEqual([...linear.reference(op(), [input], tensorsOf([[1, 2, 3], 1], [[1, 2, 2], -2]))], [4, -12, 19, -4]);
});

test("linear's checks, counts and memory answers", () => {
  const tensors = tensorsOf([[5, 1, 3], 0], [[5, 1, 2], 0]);
  assert.deepEqual(linear.outputShape(op(), [[5, 1, 3]]), [5, 1, 2]);
  assert.deepEqual(linear.check(op(), tensors), []);
  assert.deepEqual(linear.check({ ...op(), weights: new Int8Array(5) }, tensors), ['weights: expected 6 values (2×3), found 5']);
  assert.deepEqual(linear.check({ ...op(), hasBias: false }, tensors), ['bias: expected all zeros for a layer without bias']);
  assert.deepEqual(linear.check({ ...op(), inputs: [0, 0] }, tensors), ['inputs: expected 1 tensor, found 2']);
  assert.equal(linear.macsPerOutputPixel(op(), tensors), 6);
  assert.equal(linear.params(op()), 8);
  assert.equal(linear.params(op([0, 0])), 6);
  assert.equal(linear.weightBytes(op()), 6 + 24);
  // In place: one input token aside, whatever the buffer holds.
  assert.deepEqual(linear.overwrites, [0]);
  assert.equal(linear.tokenOverwriting, true);
  assert.equal(linear.inPlaceScratchBytes(op(), 5), 3);
  assert.equal(linear.wholeTensor, null);
  assert.deepEqual(linear.inputSpan(op(), 0, 0, { lo: 2, hi: 4 }, 5, true), { lo: 2, hi: 4 });
});

test('linear emits its parameters and passes the scratch only in place', () => {
  const tensors = tensorsOf([[5, 1, 3], 7], [[5, 1, 2], -2]);
  const emitted = linear.emit(op(), tensors, 'L2');
  assert.match(emitted.data, /static const int8_t RIG_WEIGHTS L2_w\[6\] = \{\n {4}1, 2, 3, -1, 0, 2,\n\};/);
  assert.match(
    emitted.data,
    /static const rig_linear_params L2_p = \{\n {4}\.in_c = 3, \.out_c = 2,\n {4}\.in_zp = 7, \.out_zp = -2, \.act_min = -128, \.act_max = 127,\n/,
  );
  assert.match(emitted.data, /\.weights = L2_w, \.bias = L2_bias, \.multiplier = L2_mult, \.shift = L2_shift,/);
  const site = { inputs: ['arena + 0'], output: 'arena + 64', scratch: 'arena + 200', window: '&rig_w4', inPlace: false };
  assert.equal(emitted.call(site), 'rig_linear_s8(&L2_p, &rig_w4, arena + 0, arena + 64, NULL);');
  assert.equal(emitted.call({ ...site, output: 'arena + 0', inPlace: true }), 'rig_linear_s8(&L2_p, &rig_w4, arena + 0, arena + 0, arena + 200);');
});

/**
 * The kernels' in-place work on one buffer holding the input tokens: each token copied to a token's
 * scratch, then its outputs written over the buffer; tokens in the module's order (forwards when
 * out ≤ in, backwards when out > in) or the opposite one. The buffer's first tokens × out bytes.
 */
function inPlace(op: LinearOp, input: Int8Array, tensors: readonly Tensor[], order: 'module' | 'opposite'): Int8Array {
  const n = tensors[0]!.shape[2];
  const m = op.outChannels;
  const tokens = input.length / n;
  const buffer = new Int8Array(tokens * Math.max(n, m));
  buffer.set(input);
  const one = tensorsOf([[1, 1, n], tensors[0]!.zeroPoint], [[1, 1, m], tensors[1]!.zeroPoint]);
  const backwards = m > n === (order === 'module');
  for (let k = 0; k < tokens; k++) {
    const t = backwards ? tokens - 1 - k : k;
    const scratch = buffer.slice(t * n, (t + 1) * n);
    buffer.set(linear.reference(op, [scratch], one), t * m);
  }
  return buffer.subarray(0, tokens * m);
}

test('token overwriting in the order the module gives writes only over tokens already consumed', () => {
  const r = createPrng(11);
  for (const [n, m] of [
    [3, 2],
    [5, 5],
    [2, 7],
    [1, 17],
    [17, 1],
  ] as const) {
    const tokens = 6;
    const tensors = tensorsOf([[tokens, 1, n], 3], [[tokens, 1, m], -1]);
    const q = quantizeMultiplier(40 / (Math.sqrt(n) * 74 * 73));
    const layer: LinearOp = {
      kind: 'linear',
      name: 'lin',
      block: 0,
      inputs: [0],
      output: 1,
      outChannels: m,
      weights: Int8Array.from({ length: m * n }, () => r.int(-128, 127)),
      // About 40 output steps per standard deviation of the sums: outputs spread, few clamped.
      requant: {
        ...unitRequant(
          m,
          Array.from({ length: m }, () => r.int(-500, 500)),
        ),
        multiplier: new Int32Array(m).fill(q.multiplier),
        shift: new Int32Array(m).fill(q.shift),
      },
      hasBias: true,
    };
    const input = Int8Array.from({ length: tokens * n }, () => r.int(-128, 127));
    const expected = [...linear.reference(layer, [input], tensors)];
    assert.deepEqual([...inPlace(layer, input, tensors, 'module')], expected, `${n} → ${m} channels in the module's order`);
    // With token sizes that differ, the other order overwrites tokens before they are read.
    if (n !== m) assert.notDeepEqual([...inPlace(layer, input, tensors, 'opposite')], expected, `${n} → ${m} channels in the opposite order`);
  }
});
