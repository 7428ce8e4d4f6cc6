// mean: the mean of each channel over rows and columns, requantized from the input's quantization
// to the output's (TFLite MEAN over axes 1 and 2, int8, keep_dims either way: its reference kernel's
// integer QuantizedMeanOrSum, the 1/count folded into the multiplier at prepare time, see
// `meanRequant`). With equal quantizations it is the rounded average. C kernel: rig_mean_s8.
import { cStruct } from '../codegen/cdata.js';
import { clamp, multiplyByQuantizedMultiplier, quantizeMultiplier } from '../model/quant.js';
import type { OpBase, QuantizedScale, Tensor } from '../model/tensor.js';
import { wholeSpan, type OpModule } from './contract.js';
import { WEIGHTLESS } from './common.js';

export interface MeanOp extends OpBase {
  readonly kind: 'mean';
  /** input scale / (output scale · count) as TFLite prepares it (see `meanRequant`). */
  readonly scale: QuantizedScale;
}

/**
 * The requantization of a mean over `count` values, as TFLite's int8 MEAN computes it: the
 * multiplier of input scale / output scale (QuantizeMultiplier), then 1/count folded in by shifting
 * the multiplier left by floor(log2 count) (at most 32, and at most 31 + its shift) and dividing it
 * by count with C's truncating 64-bit division.
 */
export function meanRequant(inScale: number, outScale: number, count: number): QuantizedScale {
  const { multiplier, shift } = quantizeMultiplier(inScale / outScale);
  // floor(log2 count) for a count below 2^32; the shifted multiplier needs 64 bits.
  const bits = Math.min(31 - Math.clz32(count), 32, 31 + shift);
  return { multiplier: Number((BigInt(multiplier) << BigInt(bits)) / BigInt(count)), shift: shift - bits };
}

function reference(op: MeanOp, [input]: readonly Int8Array[], tensors: readonly Tensor[]): Int8Array {
  const inT = tensors[op.inputs[0]!]!;
  const [h, w, c] = inT.shape;
  const outZp = tensors[op.output]!.zeroPoint;
  const count = h * w;
  const out = new Int8Array(c);
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += input![i * c + ch]!;
    // The int32 sum less count zero points, wrapping as the C kernel's would.
    const shifted = (sum - Math.imul(inT.zeroPoint, count)) | 0;
    out[ch] = clamp(multiplyByQuantizedMultiplier(shifted, op.scale.multiplier, op.scale.shift) + outZp, -128, 127);
  }
  return out;
}

export const mean: OpModule<MeanOp> = {
  kind: 'mean',
  summary: 'mean over rows and columns per channel, requantized to the output quantization',
  outputShape: (_op, [input]) => [1, 1, input![2]],
  check: (op) => {
    const problems: string[] = [];
    if (op.inputs.length !== 1) problems.push(`inputs: expected 1 tensor, found ${op.inputs.length}`);
    const { multiplier, shift } = op.scale;
    if (!Number.isInteger(multiplier) || multiplier < 0 || multiplier > 2 ** 31 - 1 || !Number.isInteger(shift) || shift < -31 || shift > 30)
      problems.push(`requantization: expected a multiplier from 0 to 2^31-1 and a shift from -31 to 30, found ${multiplier} and ${shift}`);
    return problems;
  },
  ...WEIGHTLESS,
  paperLayerBytes: (_op, [inBytes], outBytes) => inBytes! + outBytes,
  overwrites: [],
  wholeTensor: 'a split after a mean over rows and columns leaves nothing spatial to cut into patches',
  inputSpan: (_op, _k, _axis, _out, size) => wholeSpan(size),
  reference,
  emit: (op, tensors, prefix) => {
    const inT = tensors[op.inputs[0]!]!;
    const [h, w, c] = inT.shape;
    return {
      data: cStruct('rig_mean_params', `${prefix}_p`, [
        { in_h: h, in_w: w, c },
        { in_zp: inT.zeroPoint, out_zp: tensors[op.output]!.zeroPoint, multiplier: op.scale.multiplier, shift: op.scale.shift },
      ]),
      call: (s) => `rig_mean_s8(&${prefix}_p, ${s.inputs[0]}, ${s.output});`,
    };
  },
};
