// dwconv2d: a depthwise k×k convolution with channel multiplier 1, weights [kh][kw][C]; TFLite
// DEPTHWISE_CONV_2D. It may write its output over its input when nothing reads that input later,
// with one channel plane of scratch. C kernels: rig_dwconv2d_s8, rig_dwconv2d_s8_inplace.
import type { Shape, Tensor } from '../model/tensor.js';
import { requantize } from './common.js';
import type { OpModule } from './contract.js';
import { checkConv, convData, convInputSpan, convOutputHW, type ConvFields } from './conv-common.js';

export interface DwConv2dOp extends ConvFields {
  readonly kind: 'dwconv2d';
}

function outputShape(op: DwConv2dOp, [input]: readonly Shape[]): Shape {
  return [...convOutputHW(op, input!), input![2]];
}

function reference(op: DwConv2dOp, [input]: readonly Int8Array[], tensors: readonly Tensor[]): Int8Array {
  const inT = tensors[op.inputs[0]!]!;
  const outT = tensors[op.output]!;
  const [inH, inW, inC] = inT.shape;
  const [outH, outW, outC] = outT.shape;
  const inZp = inT.zeroPoint;
  const out = new Int8Array(outH * outW * outC);
  for (let oy = 0; oy < outH; oy++)
    for (let ox = 0; ox < outW; ox++)
      for (let c = 0; c < outC; c++) {
        let acc = op.requant.bias[c]!;
        for (let ky = 0; ky < op.kh; ky++) {
          const iy = oy * op.stride - op.padTop + ky;
          if (iy < 0 || iy >= inH) continue;
          for (let kx = 0; kx < op.kw; kx++) {
            const ix = ox * op.stride - op.padLeft + kx;
            if (ix < 0 || ix >= inW) continue;
            acc += (input![(iy * inW + ix) * inC + c]! - inZp) * op.weights[(ky * op.kw + kx) * outC + c]!;
          }
        }
        out[(oy * outW + ox) * outC + c] = requantize(acc, op.requant, c, outT.zeroPoint);
      }
  return out;
}

export const dwconv2d: OpModule<DwConv2dOp> = {
  kind: 'dwconv2d',
  summary: 'depthwise k×k convolution (channel multiplier 1), per-channel int8 weights [kh][kw][c], in place when its input dies',
  outputShape,
  check: (op, tensors) => {
    const input = tensors[op.inputs[0]!]?.shape;
    if (input === undefined) return [`inputs[0]: no tensor ${op.inputs[0]}`];
    return checkConv(op, op.kh * op.kw * input[2], input[2]);
  },
  macsPerOutputPixel: (op, tensors) => tensors[op.output]!.shape[2] * op.kh * op.kw,
  params: (op) => op.weights.length + 2 * op.requant.bias.length,
  weightBytes: (op) => op.weights.length + 12 * op.requant.bias.length,
  // Counted in place, as MCUNetV2 does: the larger of input and output.
  paperLayerBytes: (_op, [inBytes], outBytes) => Math.max(inBytes!, outBytes),
  overwrites: [0],
  // One channel plane of the input it overwrites, copied out before that channel is computed.
  inPlaceScratchBytes: (_op, pixels) => pixels,
  wholeTensor: null,
  inputSpan: (op, _k, axis, out, size, clip) => convInputSpan(op, axis, out, size, clip),
  reference,
  emit: (op, tensors, prefix) => ({
    data: convData(op, tensors, prefix),
    call: (s) =>
      s.inPlace
        ? `rig_dwconv2d_s8_inplace(&${prefix}_p, ${s.window}, ${s.output}, ${s.scratch});`
        : `rig_dwconv2d_s8(&${prefix}_p, ${s.window}, ${s.inputs[0]}, ${s.output});`,
  }),
};
