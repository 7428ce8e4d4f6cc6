import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPrng } from '../model/prng.js';
import { quantizeMultiplier, saturatingRoundingDoublingHighMul as srdhm } from '../model/quant.js';
import { context, type ContextOp } from './context.js';
import { embed, type EmbedOp } from './embed.js';
import { scores, type ScoresOp } from './scores.js';
import { softmax, softmaxExpTable, softmaxParams, expOnNegativeValues, type SoftmaxOp } from './softmax.js';
import { tensorsOf } from './testing.js';
import { token, type TokenOp } from './token.js';

// Multiplier 2^30 at shift 1 is exactly ×1; at shift 0, ×0.5.
const scoresOp = (heads: number, headDim: number, shift = 1, offsets = { qOffset: 0, kOffset: heads * headDim }): ScoresOp => ({
  kind: 'scores',
  name: 's',
  block: 0,
  inputs: [0],
  output: 1,
  heads,
  headDim,
  ...offsets,
  multiplier: 2 ** 30,
  shift,
});

test('scores by hand: 2 tokens, 2 heads of 1, zero points in and out, ×1', () => {
  // Token rows [q0 q1 k0 k1], zero point 1: differences q = [[1, 2], [-1, 0]], k = [[3, 1], [0, -2]].
  const tensors = tensorsOf([[2, 1, 4], 1], [[2, 2, 2], 10]);
  const qkv = Int8Array.from([2, 3, 4, 2, 0, 1, 1, -1]);
  const out = scores.reference(scoresOp(2, 1), [qkv], tensors);
  // out[i][h][j] = 10 + q[i][h] k[j][h]: head 0: 1·3, 1·0; head 1: 2·1, 2·-2; row 1: head 0: -1·3, -1·0; head 1: 0, 0.
  assert.deepEqual([...out], [13, 10, 12, 6, 7, 10, 10, 10]);
});

test('scores by hand: 1 head of 3, ×0.5 rounded half away from zero, clamped', () => {
  const tensors = tensorsOf([[2, 1, 6], 0], [[2, 1, 2], 0]);
  // q0 = [1, 2, 3], k0 = [1, 1, 1]; q1 = [100, 100, 100], k1 = [1, 0, 0].
  const qkv = Int8Array.from([1, 2, 3, 1, 1, 1, 100, 100, 100, 1, 0, 0]);
  const out = scores.reference(scoresOp(1, 3, 0), [qkv], tensors);
  // q0·k0 = 6 → 3, q0·k1 = 1 → 1 (0.5 away from zero), q1·k0 = 300 → 150 → 127, q1·k1 = 100 → 50.
  assert.deepEqual([...out], [3, 1, 127, 50]);
});

test('context by hand: 2 tokens, 2 heads of 1, probabilities less their zero point times values less theirs', () => {
  // p [2][2][2] zero point -128 (0..255 as probabilities), values [2][1][2] zero point 2, ×1, out zero point -3.
  const tensors = tensorsOf([[2, 2, 2], -128], [[2, 1, 2], 2], [[2, 1, 2], -3]);
  const op: ContextOp = { kind: 'context', name: 'c', block: 0, inputs: [0, 1], output: 2, heads: 2, headDim: 1, vOffset: 0, multiplier: 2 ** 30, shift: 0 };
  const p = Int8Array.from([-127, -126, -128, -124, -128, -128, -125, -128]);
  const v = Int8Array.from([3, 2, 5, 0]); // v - 2: token 0 [1, 0], token 1 [3, -2]
  // ×0.5: row 0 head 0: (1·1 + 2·3)/2 = 3.5 → 4; head 1: (0·0 + 4·-2)/2 = -4; row 1: 0; head 1: (3·0 + 0)/2 = 0.
  assert.deepEqual([...context.reference(op, [p, v], tensors)], [1, -7, -3, -3]);
});

// The dequantized products of random tensors against float matrix products.
test('scores and context are within one output step of the float matrix products, plus the requantization rounding', () => {
  const r = createPrng(11, 1);
  const [t, heads, dh] = [7, 3, 5];
  const hd = heads * dh;
  const c = 3 * hd + 2;
  const zIn = 4;
  const qkv = Int8Array.from({ length: t * c }, () => r.int(-128, 127));
  const real = 1 / (30 * dh);
  const m = quantizeMultiplier(real);
  const sOp: ScoresOp = { ...scoresOp(heads, dh, 0, { qOffset: 2, kOffset: 2 + hd }), ...m };
  const sTensors = tensorsOf([[t, 1, c], zIn], [[t, heads, t], -6]);
  const s = scores.reference(sOp, [qkv], sTensors);
  for (let i = 0; i < t; i++)
    for (let h = 0; h < heads; h++)
      for (let j = 0; j < t; j++) {
        let dot = 0;
        for (let d = 0; d < dh; d++) dot += (qkv[i * c + 2 + h * dh + d]! - zIn) * (qkv[j * c + 2 + hd + h * dh + d]! - zIn);
        const expected = Math.max(-128, Math.min(127, -6 + dot * real));
        const found = s[(i * heads + h) * t + j]!;
        assert.ok(Math.abs(found - expected) <= 1, `scores[${i}][${h}][${j}]: found ${found}, expected ${expected.toFixed(2)}`);
      }
  const p = Int8Array.from({ length: t * heads * t }, () => r.int(-128, 127));
  const cReal = 1 / 700;
  const cOp: ContextOp = {
    kind: 'context',
    name: 'c',
    block: 0,
    inputs: [0, 1],
    output: 2,
    heads,
    headDim: dh,
    vOffset: 2 + 2 * hd,
    ...quantizeMultiplier(cReal),
  };
  const cTensors = tensorsOf([[t, heads, t], -128], [[t, 1, c], zIn], [[t, 1, hd], 9]);
  const out = context.reference(cOp, [p, qkv], cTensors);
  for (let i = 0; i < t; i++)
    for (let h = 0; h < heads; h++)
      for (let d = 0; d < dh; d++) {
        let dot = 0;
        for (let j = 0; j < t; j++) dot += (p[(i * heads + h) * t + j]! + 128) * (qkv[j * c + 2 + 2 * hd + h * dh + d]! - zIn);
        const expected = Math.max(-128, Math.min(127, 9 + dot * cReal));
        const found = out[i * hd + h * dh + d]!;
        assert.ok(Math.abs(found - expected) <= 1, `context[${i}][${h * dh + d}]: found ${found}, expected ${expected.toFixed(2)}`);
      }
});

test('scores and context emit their parameters and a call on the window', () => {
  const sTensors = tensorsOf([[5, 1, 20], 3], [[5, 2, 5], -1]);
  const sOp = { ...scoresOp(2, 3, -7, { qOffset: 1, kOffset: 8 }), multiplier: 1234567890 };
  const e = scores.emit(sOp, sTensors, 'L0_s');
  assert.match(
    e.data,
    /static const rig_scores_params L0_s_p = \{\n {4}\.tokens = 5, \.c = 20, \.heads = 2, \.head_dim = 3, \.q_offset = 1, \.k_offset = 8,\n {4}\.in_zp = 3, \.out_zp = -1, \.multiplier = 1234567890, \.shift = -7,\n\};/,
  );
  const site = { inputs: ['arena + 0'], output: 'arena + 100', scratch: 'NULL', window: '&rig_w1', inPlace: false };
  assert.equal(e.call(site), 'rig_scores_s8(&L0_s_p, &rig_w1, arena + 0, arena + 100);');
  const cTensors = tensorsOf([[5, 2, 5], -128], [[5, 1, 20], 3], [[5, 1, 6], 2]);
  const cOp: ContextOp = { kind: 'context', name: 'c', block: 0, inputs: [0, 1], output: 2, heads: 2, headDim: 3, vOffset: 14, multiplier: 2 ** 30, shift: -3 };
  const ce = context.emit(cOp, cTensors, 'L2_c');
  assert.match(
    ce.data,
    /\.tokens = 5, \.c = 20, \.heads = 2, \.head_dim = 3, \.v_offset = 14,\n {4}\.p_zp = -128, \.v_zp = 3, \.out_zp = 2, \.multiplier = 1073741824, \.shift = -3,/,
  );
  assert.equal(ce.call({ ...site, inputs: ['arena + 0', 'arena + 50'] }), 'rig_context_s8(&L2_c_p, &rig_w1, arena + 0, arena + 50, arena + 100);');
});

test('embed by hand: the class token first, each patch plus its position, saturated', () => {
  const tensors = tensorsOf([[1, 2, 2], 5], [[3, 1, 2], 5]);
  const op: EmbedOp = {
    kind: 'embed',
    name: 'e',
    block: 0,
    inputs: [0],
    output: 1,
    classToken: Int8Array.from([7, -7]),
    position: Int8Array.from([1, -1, 100, -100]),
  };
  assert.deepEqual([...embed.reference(op, [Int8Array.from([10, 20, 100, -100])], tensors)], [7, -7, 11, 19, 127, -128]);
  const e = embed.emit(op, tensors, 'L0_e');
  assert.match(e.data, /\.patches = 2, \.d = 2,\n {4}\.class_token = L0_e_cls, \.position = L0_e_pos,/);
  assert.equal(
    e.call({ inputs: ['arena + 0'], output: 'arena + 0', scratch: 'NULL', window: 'NULL', inPlace: true }),
    'rig_embed_s8(&L0_e_p, arena + 0, arena + 0);',
  );
});

test('token by hand: one token of the matrix', () => {
  const tensors = tensorsOf([[3, 1, 2], 0], [[1, 1, 2], 0]);
  const op: TokenOp = { kind: 'token', name: 't', block: 0, inputs: [0], output: 1, index: 2 };
  assert.deepEqual([...token.reference(op, [Int8Array.from([1, 2, 3, 4, 5, 6])], tensors)], [5, 6]);
  assert.match(token.emit(op, tensors, 'L9_t').data, /\.index = 2, \.d = 2,/);
});

test("softmax's exp table holds the reference's exp of each difference 0 … -255, 0 below diffMin, and is emitted with the op", () => {
  const op: SoftmaxOp = { kind: 'softmax', name: 's', block: 0, inputs: [0], output: 1, ...softmaxParams(1, 1 / 16)! };
  const table = softmaxExpTable(op);
  assert.equal(table.length, 256);
  assert.equal(table[0], 2 ** 31 - 1); // exp(0)
  for (let k = 0; k < 256; k++) {
    const expected = -k >= op.diffMin ? expOnNegativeValues(srdhm(Math.imul(-k, 2 ** op.inputLeftShift), op.inputMultiplier)) : 0;
    assert.equal(table[k], expected, `entry ${k}: found ${table[k]}, expected ${expected}`);
  }
  // diffMin -248 at scale 1/16: entries 249 … 255 are 0, 248 is not; exp(-1/16) in Q0.31 is entry 1.
  assert.equal(op.diffMin, -248);
  assert.deepEqual([...table.subarray(249)], [0, 0, 0, 0, 0, 0, 0]);
  assert.ok(table[248]! > 0);
  assert.ok(Math.abs(table[1]! / 2 ** 31 - Math.exp(-1 / 16)) < 1e-6, `entry 1: ${table[1]! / 2 ** 31}`);
  const e = softmax.emit(op, tensorsOf([[1, 2, 7], 0], [[1, 2, 7], -128]), 'L3_sm');
  assert.match(e.data, /^static const int32_t RIG_WEIGHTS L3_sm_exp\[256\] = \{\n {4}2147483647, /);
  assert.match(e.data, /\.exp_table = L3_sm_exp,/);
  assert.equal(softmax.weightBytes(op), 1024);
});
