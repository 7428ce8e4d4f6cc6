// add: element-wise sum of two tensors of one shape, each rescaled to a common scale first;
// TFLite ADD. It writes over an input that dies with it (the second preferred: in a residual
// block that is the branch just computed). C kernel: rig_add_s8.
import { cStruct } from '../codegen/cdata.js';
import { clamp, multiplyByQuantizedMultiplier } from '../model/quant.js';
import type { OpBase, QuantizedScale, Tensor } from '../model/tensor.js';
import { checkActivationRange, WEIGHTLESS } from './common.js';
import type { OpModule } from './contract.js';

/**
 * Each input is shifted left by `leftShift`, scaled by its multiplier, summed, and scaled to the
 * output, with the activation range as the clamp.
 */
export interface AddOp extends OpBase {
  readonly kind: 'add';
  readonly leftShift: number;
  readonly scale1: QuantizedScale;
  readonly scale2: QuantizedScale;
  readonly outScale: QuantizedScale;
  readonly actMin: number;
  readonly actMax: number;
}

function reference(op: AddOp, [a, b]: readonly Int8Array[], tensors: readonly Tensor[]): Int8Array {
  const zpA = tensors[op.inputs[0]!]!.zeroPoint;
  const zpB = tensors[op.inputs[1]!]!.zeroPoint;
  const outZp = tensors[op.output]!.zeroPoint;
  const out = new Int8Array(a!.length);
  const lift = 1 << op.leftShift;
  for (let i = 0; i < a!.length; i++) {
    const sa = multiplyByQuantizedMultiplier((a![i]! - zpA) * lift, op.scale1.multiplier, op.scale1.shift);
    const sb = multiplyByQuantizedMultiplier((b![i]! - zpB) * lift, op.scale2.multiplier, op.scale2.shift);
    const sum = multiplyByQuantizedMultiplier(sa + sb, op.outScale.multiplier, op.outScale.shift);
    out[i] = clamp(sum + outZp, op.actMin, op.actMax);
  }
  return out;
}

export const add: OpModule<AddOp> = {
  kind: 'add',
  summary: 'element-wise sum of two tensors of one shape, each rescaled (residual connections)',
  outputShape: (_op, [a]) => a!,
  check: (op, tensors) => {
    if (op.inputs.length !== 2) return [`inputs: expected 2 tensors, found ${op.inputs.length}`];
    const [a, b] = op.inputs.map((t) => tensors[t]?.shape);
    if (a === undefined || b === undefined) return ['inputs: a tensor that does not exist'];
    const problems = a.every((n, i) => n === b[i]) ? [] : [`inputs: expected two tensors of one shape, found ${a.join('×')} and ${b.join('×')}`];
    if (!Number.isInteger(op.leftShift) || op.leftShift < 0 || op.leftShift > 24)
      problems.push(`leftShift: expected a whole number from 0 to 24, found ${op.leftShift}`);
    return [...problems, ...checkActivationRange(op.actMin, op.actMax)];
  },
  ...WEIGHTLESS,
  // MCUNet and MCUNetV2 do not count a residual add as a layer.
  paperLayerBytes: () => null,
  overwrites: [1, 0],
  wholeTensor: null,
  inputSpan: (_op, _k, _axis, out) => out,
  reference,
  emit: (op, tensors, prefix) => {
    const [in1, in2] = op.inputs.map((t) => tensors[t]!);
    const outT = tensors[op.output]!;
    return {
      data: cStruct('rig_add_params', `${prefix}_p`, [
        { c: outT.shape[2], in1_zp: in1!.zeroPoint, in2_zp: in2!.zeroPoint, out_zp: outT.zeroPoint, left_shift: op.leftShift },
        { in1_mult: op.scale1.multiplier, in1_shift: op.scale1.shift, in2_mult: op.scale2.multiplier, in2_shift: op.scale2.shift },
        { out_mult: op.outScale.multiplier, out_shift: op.outScale.shift, act_min: op.actMin, act_max: op.actMax },
      ]),
      call: (s) => `rig_add_s8(&${prefix}_p, ${s.window}, ${s.inputs[0]}, ${s.inputs[1]}, ${s.output});`,
    };
  },
};
