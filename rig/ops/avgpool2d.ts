// avgpool2d: a k×k average pool moved by a stride, per channel; each output is the mean of the taps
// inside the input (padding taps are not counted), rounded half away from zero, and the output
// keeps the input's quantization (TFLite AVERAGE_POOL_2D with a window smaller than its input,
// VALID or SAME, and the reference int8 kernel's arithmetic). A window op like a depthwise
// convolution without weights: tiled schedules cut it into regions. C kernel: rig_avgpool2d_s8.
import { cStruct } from '../codegen/cdata.js';
import { clamp } from '../model/quant.js';
import type { OpBase, Shape, Tensor } from '../model/tensor.js';
import { checkActivationRange, WEIGHTLESS } from './common.js';
import type { OpModule } from './contract.js';
import { checkWindow, convInputSpan, convOutputHW, type WindowFields } from './conv-common.js';

export interface AvgPool2dOp extends OpBase, WindowFields {
  readonly kind: 'avgpool2d';
  readonly actMin: number;
  readonly actMax: number;
}

/** TFLite's rounding of an average: half away from zero, with C's truncating division. */
export const roundedMean = (acc: number, count: number): number =>
  acc > 0 ? Math.trunc((acc + Math.trunc(count / 2)) / count) : Math.trunc((acc - Math.trunc(count / 2)) / count);

function outputShape(op: AvgPool2dOp, [input]: readonly Shape[]): Shape {
  return [...convOutputHW(op, input!), input![2]];
}

function reference(op: AvgPool2dOp, [input]: readonly Int8Array[], tensors: readonly Tensor[]): Int8Array {
  const [inH, inW, c] = tensors[op.inputs[0]!]!.shape;
  const [outH, outW] = tensors[op.output]!.shape;
  const out = new Int8Array(outH * outW * c);
  for (let oy = 0; oy < outH; oy++)
    for (let ox = 0; ox < outW; ox++) {
      // The taps that fall inside the input; only they are summed and counted.
      const y0 = oy * op.stride - op.padTop;
      const x0 = ox * op.stride - op.padLeft;
      const ky0 = Math.max(0, -y0);
      const ky1 = Math.min(op.kh, inH - y0);
      const kx0 = Math.max(0, -x0);
      const kx1 = Math.min(op.kw, inW - x0);
      const count = (ky1 - ky0) * (kx1 - kx0);
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let ky = ky0; ky < ky1; ky++) for (let kx = kx0; kx < kx1; kx++) acc += input![((y0 + ky) * inW + x0 + kx) * c + ch]!;
        out[(oy * outW + ox) * c + ch] = clamp(roundedMean(acc, count), op.actMin, op.actMax);
      }
    }
  return out;
}

export const avgpool2d: OpModule<AvgPool2dOp> = {
  kind: 'avgpool2d',
  summary: 'k×k average pool with a stride, padding taps not counted; the output keeps the input quantization',
  outputShape,
  check: (op) => [...checkWindow(op), ...checkActivationRange(op.actMin, op.actMax)],
  ...WEIGHTLESS,
  paperLayerBytes: (_op, [inBytes], outBytes) => inBytes! + outBytes,
  // Every output reads a neighbourhood of its channel, so it is not written over its input.
  overwrites: [],
  wholeTensor: null,
  inputSpan: (op, _k, axis, out, size, clip) => convInputSpan(op, axis, out, size, clip),
  reference,
  emit: (op, tensors, prefix) => {
    const [inH, inW, c] = tensors[op.inputs[0]!]!.shape;
    const [outH, outW] = tensors[op.output]!.shape;
    return {
      data: cStruct('rig_pool2d_params', `${prefix}_p`, [
        { in_h: inH, in_w: inW, c, out_h: outH, out_w: outW },
        { kh: op.kh, kw: op.kw, stride: op.stride, pad_top: op.padTop, pad_left: op.padLeft },
        { act_min: op.actMin, act_max: op.actMax },
      ]),
      call: (s) => `rig_avgpool2d_s8(&${prefix}_p, ${s.window}, ${s.inputs[0]}, ${s.output});`,
    };
  },
};
