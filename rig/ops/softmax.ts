// softmax: the softmax over the channels of each pixel, int8 in, int8 out at scale 1/256 and zero
// point -128 (TFLite SOFTMAX, int8, bit-exact with its reference kernel: gemmlowp's fixed-point
// exp of the input differences in Q5.26, their sum in Q12.19, its reciprocal by Newton-Raphson,
// with the input multiplier, left shift and cut-off difference prepared from beta and the input
// scale, see `softmaxParams`). Per pixel, so tiled schedules may cut it into regions, and it may
// write its output over its input. C kernel: rig_softmax_s8.
import { cArray, cStruct } from '../codegen/cdata.js';
import { clamp, quantizeMultiplier, roundingDivideByPOT, saturatingRoundingDoublingHighMul as srdhm } from '../model/quant.js';
import type { OpBase, Tensor } from '../model/tensor.js';
import type { OpModule } from './contract.js';
import { WEIGHTLESS } from './common.js';

export interface SoftmaxOp extends OpBase {
  readonly kind: 'softmax';
  /** beta · input scale in Q5.26 steps, as a Q31 multiplier and a left shift (0 to 31). */
  readonly inputMultiplier: number;
  readonly inputLeftShift: number;
  /** Differences from the pixel's maximum below this (≤ 0) count as exp = 0. */
  readonly diffMin: number;
}

/** The output quantization TFLite's int8 softmax requires. */
export const SOFTMAX_OUTPUT = { scale: 1 / 256, zeroPoint: -128 } as const;

/**
 * TFLite's softmax preparation (PreprocessSoftmaxScaling, CalculateInputRadius) for input
 * differences in Q5.26: beta · scale · 2^26, capped at 2^31 − 1, as a multiplier and left shift,
 * and the most negative difference whose rescaled value still fits. Null when beta · scale · 2^26
 * is not above 1, which TFLite refuses.
 */
export function softmaxParams(beta: number, inputScale: number): Pick<SoftmaxOp, 'inputMultiplier' | 'inputLeftShift' | 'diffMin'> | null {
  const real = Math.min(beta * inputScale * 2 ** 26, 2 ** 31 - 1);
  if (!(real > 1)) return null;
  // QuantizeMultiplier of real/2 is that of real with one less shift (exactly: a power of two),
  // and keeps quantizeMultiplier within its shifts of at most 30 where TFLite's reaches 31.
  const half = quantizeMultiplier(real / 2);
  const inputLeftShift = half.shift + 1;
  return { inputMultiplier: half.multiplier, inputLeftShift, diffMin: 0 - Math.floor((31 * 2 ** 26) / 2 ** inputLeftShift) };
}

// gemmlowp's fixed-point arithmetic on int32 raw values, as TFLite's reference softmax uses it.
const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

/** SaturatingRoundingMultiplyByPOT<exponent> for exponent > 0: a left shift that saturates. */
function saturatingShiftLeft(x: number, exponent: number): number {
  const threshold = (1 << (31 - exponent)) - 1;
  return x > threshold ? INT32_MAX : x < -threshold ? INT32_MIN : x << exponent;
}

/** exp(a) for a in [-1/4, 0), Q0.31 in and out. */
function expOnIntervalBetweenNegativeOneQuarterAnd0Excl(a: number): number {
  const constantTerm = 1895147668; // exp(-1/8)
  const oneThird = 715827883;
  const x = (a + (1 << 28)) | 0; // a + 1/8
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = roundingDivideByPOT(x4, 2);
  const poly = roundingDivideByPOT((srdhm((x4Over4 + x3) | 0, oneThird) + x2) | 0, 1);
  return (constantTerm + srdhm(constantTerm, (x + poly) | 0)) | 0;
}

/** exp(a) for a ≤ 0 in Q5.26, as Q0.31. */
export function expOnNegativeValues(a: number): number {
  const quarter = 1 << 24; // 1/4 in Q5.26
  const aModQuarterMinusQuarter = ((a & (quarter - 1)) - quarter) | 0;
  let result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(saturatingShiftLeft(aModQuarterMinusQuarter, 5));
  const remainder = (aModQuarterMinusQuarter - a) | 0;
  // exp(-2^k) in Q0.31 for k = -2 … 4, applied for each bit of the remainder.
  const barrel = [1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242];
  barrel.forEach((multiplier, i) => {
    if ((remainder & (1 << (24 + i))) !== 0) result = srdhm(result, multiplier);
  });
  return a === 0 ? INT32_MAX : result;
}

/** 1 / (1 + x) for x in [0, 1), Q0.31 in and out (gemmlowp's Newton-Raphson, three steps). */
export function oneOverOnePlusX(a: number): number {
  // RoundingHalfSum(a, 1.0): (a + 2^31 - 1 ± 1) / 2, truncated.
  const sum = a + INT32_MAX;
  const halfDenominator = Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
  const one = 1 << 29; // 1.0 in Q2.29
  let x = (1515870810 + srdhm(halfDenominator, -1010580540)) | 0; // 48/17 - 32/17 · d
  for (let i = 0; i < 3; i++) {
    const oneMinus = (one - srdhm(halfDenominator, x)) | 0;
    x = (x + saturatingShiftLeft(srdhm(x, oneMinus), 2)) | 0;
  }
  return saturatingShiftLeft(x, 1);
}

/** exp(beta · scale · diff) in Q0.31 for a difference from the pixel's maximum in input steps (≤ 0), as the kernels compute it. */
function expOfDiff(op: SoftmaxOp, diff: number): number {
  return expOnNegativeValues(srdhm(Math.imul(diff, (2 ** op.inputLeftShift) | 0), op.inputMultiplier));
}

/**
 * The exps an int8 pixel can need: entry k for the difference -k from its maximum (k = 0 … 255),
 * 0 below diffMin (such a difference adds nothing to the sum and gives the output -128, as 0 does).
 */
export function softmaxExpTable(op: SoftmaxOp): Int32Array {
  return Int32Array.from({ length: 256 }, (_, k) => (-k >= op.diffMin ? expOfDiff(op, -k) : 0));
}

function reference(op: SoftmaxOp, [input]: readonly Int8Array[], tensors: readonly Tensor[]): Int8Array {
  const [h, w, c] = tensors[op.inputs[0]!]!.shape;
  const out = new Int8Array(h * w * c);
  const exp = (diff: number) => expOfDiff(op, diff);
  for (let p = 0; p < h * w; p++) {
    const row = input!.subarray(p * c, (p + 1) * c);
    let max = -128;
    for (const v of row) max = Math.max(max, v);
    let sum = 0; // Q12.19
    for (const v of row) if (v - max >= op.diffMin) sum = (sum + roundingDivideByPOT(exp(v - max), 12)) | 0;
    // GetReciprocal: 1/sum as a Q0.31 fraction and a power of two.
    const headroom = Math.clz32(sum);
    const bitsOverUnit = 12 - headroom;
    const scale = oneOverOnePlusX(((sum << headroom) - 0x80000000) | 0);
    // TFLite stops past 31 (a sum of exps of 512 or more, which C = 512 channels can reach); rig stays at 31.
    const exponent = Math.min(bitsOverUnit + 31 - 8, 31);
    row.forEach((v, ch) => {
      const value = v - max >= op.diffMin ? roundingDivideByPOT(srdhm(scale, exp(v - max)), exponent) - 128 : -128;
      out[p * c + ch] = clamp(value, -128, 127);
    });
  }
  return out;
}

export const softmax: OpModule<SoftmaxOp> = {
  kind: 'softmax',
  summary: 'softmax over the channels of each pixel, int8 out at scale 1/256 and zero point -128; in place when its input dies',
  outputShape: (_op, [input]) => input!,
  check: (op, tensors) => {
    const problems: string[] = [];
    if (op.inputs.length !== 1) problems.push(`inputs: expected 1 tensor, found ${op.inputs.length}`);
    const zp = tensors[op.output]?.zeroPoint;
    if (zp !== SOFTMAX_OUTPUT.zeroPoint) problems.push(`output zero point: expected ${SOFTMAX_OUTPUT.zeroPoint}, found ${zp}`);
    const { inputMultiplier: m, inputLeftShift: s, diffMin } = op;
    if (!Number.isInteger(m) || m < 2 ** 30 || m > 2 ** 31 - 1 || !Number.isInteger(s) || s < 0 || s > 31)
      problems.push(`input multiplier: expected a Q31 multiplier from 2^30 to 2^31-1 and a left shift from 0 to 31, found ${m} and ${s}`);
    if (!Number.isInteger(diffMin) || diffMin > 0) problems.push(`diffMin: expected a whole number ≤ 0, found ${diffMin}`);
    return problems;
  },
  ...WEIGHTLESS,
  // The exp table (softmaxExpTable): 256 int32.
  weightBytes: () => 4 * 256,
  // Counted in place, as it runs: the larger of input and output (the same size).
  paperLayerBytes: (_op, [inBytes], outBytes) => Math.max(inBytes!, outBytes),
  // Each pixel's outputs are written after all its inputs are read, each at or below the input
  // byte of the same pixel and channel: the output may lie over the input, with no scratch.
  overwrites: [0],
  wholeTensor: null,
  inputSpan: (_op, _k, _axis, out) => out,
  reference,
  emit: (op, tensors, prefix) => ({
    data:
      cArray('int32_t', `${prefix}_exp`, softmaxExpTable(op)) +
      cStruct('rig_softmax_params', `${prefix}_p`, [
        { c: tensors[op.inputs[0]!]!.shape[2] },
        { input_multiplier: op.inputMultiplier, input_left_shift: op.inputLeftShift, diff_min: op.diffMin },
        { exp_table: `${prefix}_exp` },
      ]),
    call: (s) => `rig_softmax_s8(&${prefix}_p, ${s.window}, ${s.inputs[0]}, ${s.output});`,
  }),
};
