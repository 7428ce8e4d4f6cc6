// conv2d: a k×k convolution (pointwise when k = 1) with per-output-channel int8 weights
// [outC][kh][kw][inC], int32 bias and requantization; TFLite CONV_2D. C kernel: rig_conv2d_s8.
import type { Shape, Tensor } from '../model/tensor.js';
import { requantize } from './common.js';
import type { OpModule } from './contract.js';
import { checkConv, convData, convInputSpan, convOutputHW, type ConvFields } from './conv-common.js';

export interface Conv2dOp extends ConvFields {
  readonly kind: 'conv2d';
  /** Output channels (the weights hold outChannels × kh × kw × input channels values). */
  readonly outChannels: number;
}

function outputShape(op: Conv2dOp, [input]: readonly Shape[]): Shape {
  return [...convOutputHW(op, input!), op.outChannels];
}

function reference(op: Conv2dOp, [input]: readonly Int8Array[], tensors: readonly Tensor[]): Int8Array {
  const inT = tensors[op.inputs[0]!]!;
  const outT = tensors[op.output]!;
  const [inH, inW, inC] = inT.shape;
  const [outH, outW, outC] = outT.shape;
  const inZp = inT.zeroPoint;
  const out = new Int8Array(outH * outW * outC);
  for (let oy = 0; oy < outH; oy++)
    for (let ox = 0; ox < outW; ox++)
      for (let oc = 0; oc < outC; oc++) {
        let acc = op.requant.bias[oc]!;
        for (let ky = 0; ky < op.kh; ky++) {
          const iy = oy * op.stride - op.padTop + ky;
          if (iy < 0 || iy >= inH) continue;
          for (let kx = 0; kx < op.kw; kx++) {
            const ix = ox * op.stride - op.padLeft + kx;
            if (ix < 0 || ix >= inW) continue;
            const inBase = (iy * inW + ix) * inC;
            const wBase = ((oc * op.kh + ky) * op.kw + kx) * inC;
            for (let ic = 0; ic < inC; ic++) acc += (input![inBase + ic]! - inZp) * op.weights[wBase + ic]!;
          }
        }
        out[(oy * outW + ox) * outC + oc] = requantize(acc, op.requant, oc, outT.zeroPoint);
      }
  return out;
}

export const conv2d: OpModule<Conv2dOp> = {
  kind: 'conv2d',
  summary: 'k×k convolution, per-channel int8 weights [out][kh][kw][in], int32 bias, fused activation',
  outputShape,
  check: (op, tensors) => {
    const input = tensors[op.inputs[0]!]?.shape;
    if (input === undefined) return [`inputs[0]: no tensor ${op.inputs[0]}`];
    return checkConv(op, op.outChannels * op.kh * op.kw * input[2], op.outChannels);
  },
  macsPerOutputPixel: (op, tensors) => op.outChannels * op.kh * op.kw * tensors[op.inputs[0]!]!.shape[2],
  // Convolution weights plus BatchNorm's γ and β per output channel (folded into bias and scales).
  params: (op) => op.weights.length + 2 * op.requant.bias.length,
  weightBytes: (op) => op.weights.length + 12 * op.requant.bias.length,
  paperLayerBytes: (_op, [inBytes], outBytes) => inBytes! + outBytes,
  overwrites: [],
  inPlaceScratchBytes: () => 0,
  wholeTensor: null,
  inputSpan: (op, _k, axis, out, size, clip) => convInputSpan(op, axis, out, size, clip),
  reference,
  emit: (op, tensors, prefix) => ({
    data: convData(op, tensors, prefix),
    call: (s) => `rig_conv2d_s8(&${prefix}_p, ${s.window}, ${s.inputs[0]}, ${s.output});`,
  }),
};
