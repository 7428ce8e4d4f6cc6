import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPrng } from './prng.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, roundingDivideByPOT, saturatingRoundingDoublingHighMul } from './quant.js';

// TFLite's arithmetic written with BigInt, straight from common.h, as the oracle.
function srdhmBig(a: number, b: number): number {
  if (a === -2147483648 && b === -2147483648) return 2147483647;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates like C
}

test('saturatingRoundingDoublingHighMul matches the 64-bit definition on hand-picked values', () => {
  // 0.5 (Q31 2^30) × 0.5 = 0.25 in Q31 → 2^29
  assert.equal(saturatingRoundingDoublingHighMul(1 << 30, 1 << 30), 1 << 29);
  assert.equal(saturatingRoundingDoublingHighMul(-2147483648, -2147483648), 2147483647);
  assert.equal(saturatingRoundingDoublingHighMul(-2147483648, 2147483647), -2147483647);
  // Rounding: 3 × 2^30 / 2^31 = 1.5 → 2 (nudge rounds half away from zero)
  assert.equal(saturatingRoundingDoublingHighMul(3, 1 << 30), 2);
  assert.equal(saturatingRoundingDoublingHighMul(-3, 1 << 30), -1); // ties round up: -1.5 → -1
  assert.equal(saturatingRoundingDoublingHighMul(1, 1 << 30), 1); // 0.5 → 1
  assert.equal(saturatingRoundingDoublingHighMul(-1, 1 << 30), 0); // -0.5 → 0
  assert.equal(saturatingRoundingDoublingHighMul(0, 123456789), 0);
});

test('saturatingRoundingDoublingHighMul matches BigInt on 200,000 random pairs including extremes', () => {
  const prng = createPrng(42);
  const special = [0, 1, -1, 2147483647, -2147483648, 1 << 30, -(1 << 30), 65535, 65536, -65536, -65537];
  for (const a of special) for (const b of special) assert.equal(saturatingRoundingDoublingHighMul(a, b), srdhmBig(a, b), `${a}×${b}`);
  for (let i = 0; i < 200_000; i++) {
    const a = prng.nextU32() | 0;
    const b = i % 2 === 0 ? prng.nextU32() | 0 : prng.int(1 << 30, 2147483647);
    assert.equal(saturatingRoundingDoublingHighMul(a, b), srdhmBig(a, b), `${a}×${b}`);
  }
});

test('roundingDivideByPOT rounds half away from zero', () => {
  assert.equal(roundingDivideByPOT(5, 1), 3); // 2.5 → 3
  assert.equal(roundingDivideByPOT(-5, 1), -3); // -2.5 → -3
  assert.equal(roundingDivideByPOT(7, 2), 2); // 1.75 → 2
  assert.equal(roundingDivideByPOT(-7, 2), -2);
  assert.equal(roundingDivideByPOT(6, 2), 2); // 1.5 → 2
  assert.equal(roundingDivideByPOT(-6, 2), -2); // -1.5 → -2
  assert.equal(roundingDivideByPOT(123, 0), 123);
});

test('multiplyByQuantizedMultiplier on hand-computed values', () => {
  // 0.75 = 0.75 × 2^0 → Q31 mantissa 0.75·2^31 = 1610612736, shift 0
  assert.equal(multiplyByQuantizedMultiplier(100, 1610612736, 0), 75);
  // 0.0375 = 0.6 × 2^-4: 1000 × 0.0375 = 37.5 → 38
  assert.equal(multiplyByQuantizedMultiplier(1000, 1288490189, -4), 38);
  assert.equal(multiplyByQuantizedMultiplier(-1000, 1288490189, -4), -38);
  // A left shift: 3 × 0.5 × 2^2 = 6
  assert.equal(multiplyByQuantizedMultiplier(3, 1 << 30, 2), 6);
});

test('quantizeMultiplier gives a Q31 mantissa in [0.5, 1) and the exponent', () => {
  assert.deepEqual(quantizeMultiplier(0.75), { multiplier: 1610612736, shift: 0 });
  assert.deepEqual(quantizeMultiplier(0.0375), { multiplier: 1288490189, shift: -4 });
  assert.deepEqual(quantizeMultiplier(0.5), { multiplier: 1 << 30, shift: 0 });
  assert.deepEqual(quantizeMultiplier(1), { multiplier: 1 << 30, shift: 1 });
  assert.deepEqual(quantizeMultiplier(0), { multiplier: 0, shift: 0 });
  // Rounds up to 2^31: renormalized
  assert.deepEqual(quantizeMultiplier(1 - 2 ** -40), { multiplier: 1 << 30, shift: 1 });
  const prng = createPrng(7);
  for (let i = 0; i < 1000; i++) {
    const real = 2 ** (-20 + 20 * prng.float());
    const q = quantizeMultiplier(real);
    assert.ok(q.multiplier >= 2 ** 30 && q.multiplier < 2 ** 31);
    assert.ok(Math.abs((q.multiplier / 2 ** 31) * 2 ** q.shift - real) / real < 1e-9);
  }
});

/** TFLite's QuantizeMultiplier from the double's bits: frexp, std::round, the halving, the flush. */
function quantizeMultiplierOracle(d: number): { multiplier: number; shift: number } {
  if (d === 0) return { multiplier: 0, shift: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  if (biased === 0) return { multiplier: 0, shift: 0 }; // subnormal: far below 2^-31
  // frexp: |d| = q · 2^shift with q = (2^52 + fraction) / 2^53; q · 2^31 = (2^52 + fraction) / 2^22.
  const significand = (1n << 52n) | (bits & ((1n << 52n) - 1n));
  let fixed = (significand + (1n << 21n)) >> 22n; // half away from zero, on the magnitude
  let shift = biased - 1022;
  if (d > 0 && fixed === 1n << 31n) {
    fixed >>= 1n;
    shift += 1;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: Number(d < 0 ? -fixed : fixed), shift };
}

test('quantizeMultiplier is TFLite QuantizeMultiplier on negative and tiny scales', () => {
  // A negative scale keeps its sign in the mantissa (TFLite: frexp of a negative number).
  assert.deepEqual(quantizeMultiplier(-0.75), { multiplier: -1610612736, shift: 0 });
  assert.deepEqual(quantizeMultiplier(-0.0375), { multiplier: -1288490189, shift: -4 });
  assert.deepEqual(quantizeMultiplier(-1), { multiplier: -(1 << 30), shift: 1 });
  // -2^31 is an int32: not halved, unlike +2^31.
  assert.deepEqual(quantizeMultiplier(-(1 - 2 ** -40)), { multiplier: -2147483648, shift: 0 });
  // 2^-32 = 0.5 · 2^-31 is kept; anything with an exponent below -31 is flushed to zero.
  assert.deepEqual(quantizeMultiplier(2 ** -32), { multiplier: 1 << 30, shift: -31 });
  assert.deepEqual(quantizeMultiplier(-(2 ** -32)), { multiplier: -(1 << 30), shift: -31 });
  assert.deepEqual(quantizeMultiplier(2 ** -33), { multiplier: 0, shift: 0 });
  assert.deepEqual(quantizeMultiplier(-(2 ** -40)), { multiplier: 0, shift: 0 });
  assert.deepEqual(quantizeMultiplier(5e-324), { multiplier: 0, shift: 0 });
  const prng = createPrng(11);
  for (let i = 0; i < 20_000; i++) {
    const magnitude = 2 ** (-40 + 45 * prng.float()) * (1 + prng.float());
    const real = i % 2 === 0 ? -magnitude : magnitude;
    assert.deepEqual(quantizeMultiplier(real), quantizeMultiplierOracle(real), `${real}`);
  }
  // Mantissas that sit exactly half-way between two Q31 values round away from zero.
  for (const real of [(2 ** 30 + 0.5) / 2 ** 31, -(2 ** 30 + 0.5) / 2 ** 31, (2 ** 31 - 0.5) / 2 ** 31, -(2 ** 31 - 0.5) / 2 ** 31]) {
    assert.deepEqual(quantizeMultiplier(real), quantizeMultiplierOracle(real), `${real}`);
  }
});

test('multiplyByQuantizedMultiplier with a negative multiplier matches the 64-bit definition', () => {
  const mbqmBig = (x: number, m: number, shift: number): number => {
    const left = shift > 0 ? shift : 0;
    const right = shift > 0 ? 0 : -shift;
    const high = srdhmBig(Math.imul(x, 1 << left), m);
    const mask = (1 << right) - 1;
    const remainder = high & mask;
    const threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    return (high >> right) + (remainder > threshold ? 1 : 0);
  };
  const prng = createPrng(5);
  for (let i = 0; i < 50_000; i++) {
    const { multiplier, shift } = quantizeMultiplier(-(2 ** (-16 + 17 * prng.float())));
    const x = prng.int(-(1 << 22), 1 << 22);
    assert.equal(multiplyByQuantizedMultiplier(x, multiplier, shift), mbqmBig(x, multiplier, shift), `${x}·${multiplier}·2^${shift}`);
  }
  // -0.75 × 100 = -75; 3 × -0.5 = -1.5 → -1 (the doubling high mul's nudge rounds ties up, whatever the signs)
  assert.equal(multiplyByQuantizedMultiplier(100, -1610612736, 0), -75);
  assert.equal(multiplyByQuantizedMultiplier(3, -(1 << 30), 0), -1);
});
