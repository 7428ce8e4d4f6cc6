// Integer requantization exactly as TFLite Micro's reference kernels do it
// (tensorflow/lite/kernels/internal/common.h), so that the C kernels and this reference agree
// bit for bit. The 64-bit product is formed from exact 32×16-bit partial products, since a double
// holds only 53 bits.

const TWO_31 = 2147483648;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** (a·b + nudge) / 2³¹ truncated toward zero, saturating the one overflow case. */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const aHi = a >> 16; // signed, so a = aHi·2¹⁶ + aLo exactly
  const aLo = a & 0xffff;
  const p1 = aHi * b; // |p1| < 2⁴⁷: exact
  const p0 = aLo * b; // |p0| < 2⁴⁸: exact
  const negative = a !== 0 && b !== 0 && a < 0 !== b < 0;
  const nudge = negative ? 1 - (1 << 30) : 1 << 30;
  // total = p1·2¹⁶ + p0 + nudge = q1·2³¹ + s with p1 = q1·2¹⁵ + r1
  const q1 = Math.floor(p1 / 32768);
  const r1 = p1 - q1 * 32768;
  const s = r1 * 65536 + p0 + nudge; // |s| < 2⁴⁹: exact
  const sq = Math.floor(s / TWO_31);
  const floorQuotient = q1 + sq;
  const remainder = s - sq * TWO_31;
  // C's division truncates toward zero: a negative quotient with a remainder moves up by one.
  const truncated = remainder !== 0 && floorQuotient < 0 ? floorQuotient + 1 : floorQuotient;
  return truncated | 0;
}

export function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** TFLite's MultiplyByQuantizedMultiplier: x · multiplier · 2^shift, multiplier a Q31 with magnitude in [2³⁰, 2³¹] (or 0). */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const leftShift = shift > 0 ? shift : 0;
  const rightShift = shift > 0 ? 0 : -shift;
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(Math.imul(x, 1 << leftShift), multiplier), rightShift);
}

export interface QuantizedMultiplier {
  multiplier: number;
  shift: number;
}

/**
 * TFLite's QuantizeMultiplier: a real scale as a Q31 mantissa and a power-of-two exponent (frexp).
 * A negative scale gives a negative mantissa, as TFLite's does for a negative per-channel weight
 * scale; zero gives zero, and so does a scale below 2⁻³² (TFLite flushes those).
 */
export function quantizeMultiplier(realMultiplier: number): QuantizedMultiplier {
  if (realMultiplier === 0 || !Number.isFinite(realMultiplier)) return { multiplier: 0, shift: 0 };
  const magnitude = Math.abs(realMultiplier);
  let exponent = Math.floor(Math.log2(magnitude)) + 1;
  let mantissa = magnitude / 2 ** exponent;
  // log2 may be off by one ulp: settle the mantissa into [0.5, 1).
  while (mantissa >= 1) {
    exponent += 1;
    mantissa = magnitude / 2 ** exponent;
  }
  while (mantissa < 0.5) {
    exponent -= 1;
    mantissa = magnitude / 2 ** exponent;
  }
  // std::round rounds half away from zero, so the magnitude rounds the same either way.
  let fixed = Math.round(mantissa * TWO_31);
  if (realMultiplier < 0) {
    // -2³¹ fits an int32: TFLite halves only a mantissa that rounds to +2³¹.
    fixed = -fixed;
  } else if (fixed === TWO_31) {
    fixed /= 2;
    exponent += 1;
  }
  if (exponent < -31) return { multiplier: 0, shift: 0 };
  if (exponent > 30) throw new RangeError(`requantization scale ${realMultiplier} is too large for a Q31 multiplier`);
  return { multiplier: fixed, shift: exponent };
}

export function clamp(value: number, lo: number, hi: number): number {
  return value < lo ? lo : value > hi ? hi : value;
}

/** TFLite's int8 ADD lifts both inputs by 2^20 before rescaling them. */
const ADD_LEFT_SHIFT = 20;

/**
 * An int8 ADD's requantization as TFLite prepares it from the scales of its inputs and output:
 * each input rescaled to twice the larger input scale after the left shift, the sum to the output.
 */
export function addRescale(scale1: number, scale2: number, outScale: number) {
  const twiceMax = 2 * Math.max(scale1, scale2);
  return {
    leftShift: ADD_LEFT_SHIFT,
    scale1: quantizeMultiplier(scale1 / twiceMax),
    scale2: quantizeMultiplier(scale2 / twiceMax),
    outScale: quantizeMultiplier(twiceMax / (2 ** ADD_LEFT_SHIFT * outScale)),
  };
}
