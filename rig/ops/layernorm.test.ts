import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPrng } from '../model/prng.js';
import { quantizeMultiplier } from '../model/quant.js';
import { isqrt, layernorm, LAYERNORM_MAX_CHANNELS, normalizeToken, type LayerNormOp } from './layernorm.js';
import { tensorsOf, unitRequant } from './testing.js';

/** ⌊√v⌋ of a BigInt by Newton's method. */
function bigIsqrt(v: bigint): bigint {
  if (v < 2n) return v;
  let x = v;
  let y = (x + 1n) / 2n;
  while (y < x) {
    x = y;
    y = (x + v / x) / 2n;
  }
  return x;
}

/** The C kernels' square root, one result bit per step from the top (transcribed with BigInt). */
function bitwiseIsqrt(v: bigint): bigint {
  let rem = v;
  let root = 0n;
  let bit = 1n << 62n;
  while (bit > v) bit >>= 2n;
  while (bit !== 0n) {
    if (rem >= root + bit) {
      rem -= root + bit;
      root = (root >> 1n) + bit;
    } else root >>= 1n;
    bit >>= 2n;
  }
  return root;
}

test('isqrt is the exact floor of the square root around every perfect square tried and up to 2^53', () => {
  const r = createPrng(21);
  const roots = [
    ...Array.from({ length: 2000 }, (_, k) => k),
    ...Array.from({ length: 2000 }, () => r.int(2000, 94906265)),
    // ⌊√(2^53 − 1)⌋, the largest root below 2^53, and its neighbours.
    94906264,
    94906265,
  ];
  for (const k of roots) {
    const square = k * k;
    assert.equal(isqrt(square), k, `isqrt(${k}²)`);
    if (k > 0) assert.equal(isqrt(square - 1), k - 1, `isqrt(${k}² − 1)`);
    // (k + 1)² − 1 while it stays below 2^53 (exact in a double).
    if (square + 2 * k < 2 ** 53) assert.equal(isqrt(square + 2 * k), k, `isqrt((${k} + 1)² − 1)`);
  }
  const top = 2 ** 53 - 1;
  assert.equal(isqrt(top), 94906265);
  assert.ok(94906265n ** 2n <= BigInt(top) && 94906266n ** 2n > BigInt(top));
  // Random whole numbers below 2^53, against BigInt arithmetic; the C kernels' bit-by-bit root agrees.
  for (let i = 0; i < 5000; i++) {
    const v = (r.nextU32() % 2 ** 21) * 2 ** 32 + r.nextU32();
    const expected = bigIsqrt(BigInt(v));
    assert.equal(BigInt(isqrt(v)), expected, `isqrt(${v})`);
    assert.equal(bitwiseIsqrt(BigInt(v)), expected, `bit by bit, ${v}`);
  }
  for (const k of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, (1n << 26n) - 1n, 94906265n, 94906266n, (1n << 32n) - 1n]) {
    for (const v of [k * k - 1n, k * k, k * k + 1n].filter((v) => v >= 0n)) assert.equal(bitwiseIsqrt(v), bigIsqrt(v), `bit by bit, ${v}`);
  }
});

test('normalizeToken by hand: C·(d − mean), an integer σ and a rounded Q12 quotient', () => {
  // x = [1, 2, 3, 6], z = 0: s = 12, u = 4d − 12 = [−8, −4, 0, 12], S = 224, ⌊S/4⌋ = 56, r = 7, and
  // n = (2^12 u ± 3) / 7 truncated: −32771/7 → −4681, −16387/7 = −2341, 3/7 → 0, 49155/7 → 7022.
  const n = new Int32Array(4);
  normalizeToken([1, 2, 3, 6], 0, n);
  assert.deepEqual([...n], [-4681, -2341, 0, 7022]);
  // The zero point only shifts the values: the same token 5 steps up with z = 5.
  normalizeToken([6, 7, 8, 11], 5, n);
  assert.deepEqual([...n], [-4681, -2341, 0, 7022]);
  // A constant token has no spread: r = max(1, 0), every n 0. So has a single channel.
  normalizeToken([9, 9, 9, 9], 3, n);
  assert.deepEqual([...n], [0, 0, 0, 0]);
  const one = new Int32Array(1);
  normalizeToken([-128], 7, one);
  assert.deepEqual([...one], [0]);
  // Two values one step apart: u = ±1, S = 2, r = 1: ±4096, exactly ±1σ.
  const two = new Int32Array(2);
  normalizeToken([4, 5], 0, two);
  assert.deepEqual([...two], [-4096, 4096]);
});

/** Float LayerNorm's normalized values (x − mean)/σ, σ the population standard deviation, no ε. */
function floatNormalized(x: ArrayLike<number>): { z: number[]; cSigma: number } {
  const c = x.length;
  const values = Array.from(x);
  const mean = values.reduce((a, b) => a + b, 0) / c;
  const sigma = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / c);
  return { z: values.map((v) => (sigma === 0 ? 0 : (v - mean) / sigma)), cSigma: c * sigma };
}

/** Tokens of c channels: uniform over int8, narrow (a few steps), one outlier, constant. */
function tokens(seed: number, c: number): Int8Array[] {
  const r = createPrng(seed, c);
  return [
    Int8Array.from({ length: c }, () => r.int(-128, 127)),
    Int8Array.from({ length: c }, () => r.int(-128, 127)),
    Int8Array.from({ length: c }, () => r.int(10, 12)),
    Int8Array.from({ length: c }, () => r.int(-3, -2)),
    Int8Array.from({ length: c }, (_, i) => (i === c >> 1 ? 127 : -128)),
    Int8Array.from({ length: c }, () => 37),
  ];
}

const CHANNELS = [1, 2, 3, 5, 17, 64, 192, 768, LAYERNORM_MAX_CHANNELS];

test('the Q12 normalized values are within |z|/max(1, Cσ − 1) + 2^-13 of float LayerNorm', () => {
  // r = ⌊√⌊S/C⌋⌋ = ⌊Cσ⌋ (S = C³σ²), so r ≤ Cσ < r + 1 and u/r = z·Cσ/r lies in [z, z·(1 + 1/r)):
  // |u/r − z| < |z|/r ≤ |z|/max(1, Cσ − 1); n rounds 2^12·u/r to the nearest integer, 2^-13 more.
  // For tokens spread over int8 (σ ≈ 74) with C ≥ 16 that is below 0.002.
  for (const c of CHANNELS) {
    const n = new Int32Array(c);
    for (const [k, x] of tokens(1, c).entries()) {
      normalizeToken(x, 0, n);
      const { z, cSigma } = floatNormalized(x);
      for (let i = 0; i < c; i++) {
        const error = Math.abs(n[i]! / 4096 - z[i]!);
        const bound = Math.abs(z[i]!) / Math.max(1, cSigma - 1) + 2 ** -13 + 1e-12;
        assert.ok(error <= bound, `C = ${c}, token ${k}, channel ${i}: |${n[i]! / 4096} − ${z[i]}| = ${error}, expected at most ${bound}`);
        if (k < 2 && c >= 16) assert.ok(error < 0.002, `C = ${c}, token ${k}, channel ${i}: error ${error}, expected below 0.002`);
      }
    }
  }
});

const op = (c: number, seed: number, scale: number): LayerNormOp => {
  const r = createPrng(seed, 2);
  const q = quantizeMultiplier(scale);
  return {
    kind: 'layernorm',
    name: 'ln',
    block: 0,
    inputs: [0],
    output: 1,
    weights: Int8Array.from({ length: c }, () => r.int(-128, 127)),
    requant: {
      bias: Int32Array.from({ length: c }, () => r.int(-4096 * 64, 4096 * 64)),
      multiplier: new Int32Array(c).fill(q.multiplier),
      shift: new Int32Array(c).fill(q.shift),
      actMin: -128,
      actMax: 127,
    },
  };
};

test('layernorm with γ and β is within one output step of float LayerNorm', () => {
  // out = requantize(nγ + β) + zp against clamp(zp + s·(2^12·z·γ + β)), s the requantization's real
  // scale: requantize rounds twice (SRDHM, then the rounding shift by 2^right), 0.5 + 2^-(right+1)
  // steps, and n carries the error above, times g = s·|γ|·2^12 steps per unit of z. Here
  // g ≤ 128·2^12·s = 40 steps per σ, so for C ≥ 16 the bound is below 0.5 + 2^-11 + 40·0.002 < 0.6.
  const zp = -7;
  const inZp = 4;
  for (const c of CHANNELS) {
    const scale = 40 / (128 * 4096);
    const layer = op(c, c, scale);
    const q = quantizeMultiplier(scale);
    const s = (q.multiplier / 2 ** 31) * 2 ** q.shift;
    const tensors = tensorsOf([[6, 1, c], inZp], [[6, 1, c], zp]);
    const all = tokens(2, c);
    const input = new Int8Array(6 * c);
    all.forEach((t, k) =>
      input.set(
        t.map((v) => Math.min(127, Math.max(-128, v + inZp))),
        k * c,
      ),
    );
    const out = layernorm.reference(layer, [input], tensors);
    let worst = 0;
    all.forEach((_, k) => {
      const x = input.subarray(k * c, (k + 1) * c);
      const { z, cSigma } = floatNormalized(x);
      for (let i = 0; i < c; i++) {
        const g = s * Math.abs(layer.weights[i]!) * 4096;
        const exact = Math.min(127, Math.max(-128, zp + s * (4096 * z[i]! * layer.weights[i]! + layer.requant.bias[i]!)));
        const error = Math.abs(out[k * c + i]! - exact);
        const bound = 0.5 + 2 ** (q.shift - 1) + g * (Math.abs(z[i]!) / Math.max(1, cSigma - 1) + 2 ** -13) + 1e-9;
        assert.ok(error <= bound, `C = ${c}, token ${k}, channel ${i}: ${out[k * c + i]} against ${exact}, expected within ${bound}`);
        if (k < 2 && c >= 16) worst = Math.max(worst, error);
      }
    });
    assert.ok(worst < 0.6, `C = ${c}: the worst error on spread tokens is ${worst} steps, expected below 0.6`);
  }
});

test('layernorm by hand: γ, β and the requantization after the normalized values', () => {
  // n = [−4681, −2341, 0, 7022] (normalizeToken by hand), γ = [2, −1, 3, 1], β = [0, 100, −50, 4096],
  // ×2^-11 (multiplier 2^30, shift −10): −9362 → −4.57 → −5; 2441 → 1.19 → 1; −50 → 0; 11118 → 5.43 → 5;
  // plus the output zero point 3.
  const layer: LayerNormOp = {
    kind: 'layernorm',
    name: 'ln',
    block: 0,
    inputs: [0],
    output: 1,
    weights: Int8Array.from([2, -1, 3, 1]),
    requant: unitRequant(4, [0, 100, -50, 4096], -10),
  };
  const tensors = tensorsOf([[1, 1, 4], 0], [[1, 1, 4], 3]);
  assert.deepEqual([...layernorm.reference(layer, [Int8Array.from([1, 2, 3, 6])], tensors)], [-2, 4, 3, 8]);
});

test("layernorm's checks, counts and memory answers, and the C it emits", () => {
  const layer = op(5, 1, 1e-4);
  const tensors = tensorsOf([[3, 1, 5], 2], [[3, 1, 5], -1]);
  assert.deepEqual(layernorm.check(layer, tensors), []);
  assert.deepEqual(layernorm.check({ ...layer, weights: new Int8Array(4) }, tensors), ['weights: expected 5 values (γ per channel), found 4']);
  assert.deepEqual(layernorm.check(layer, tensorsOf([[3, 1, 2049], 2], [[3, 1, 2049], -1])), [
    'inputs[0]: expected at most 2048 channels, found 2049',
    'weights: expected 2049 values (γ per channel), found 5',
    'bias: expected 2049 values (one per output channel), found 5',
    'multiplier: expected 2049 values (one per output channel), found 5',
    'shift: expected 2049 values (one per output channel), found 5',
  ]);
  assert.equal(layernorm.params(layer), 10);
  assert.deepEqual(layernorm.overwrites, [0]);
  assert.equal(layernorm.inPlaceScratchBytes(layer, 3), 0);
  assert.equal(layernorm.wholeTensor, null);
  const emitted = layernorm.emit(layer, tensors, 'L0');
  assert.match(emitted.data, /static const rig_layernorm_params L0_p = \{\n {4}\.c = 5,\n {4}\.in_zp = 2, \.out_zp = -1, \.act_min = -128, \.act_max = 127,\n/);
  assert.match(emitted.data, /\.weights = L0_w, \.bias = L0_bias, \.multiplier = L0_mult, \.shift = L0_shift,/);
  const site = { inputs: ['arena + 0'], output: 'arena + 0', scratch: 'NULL', window: '&rig_w1', inPlace: true };
  assert.equal(emitted.call(site), 'rig_layernorm_s8(&L0_p, &rig_w1, arena + 0, arena + 0);');
});
