// fc: fully connected over the flattened input, per-output-channel int8 weights [out][in], int32
// bias and requantization; TFLite FULLY_CONNECTED. C kernel: rig_fc_s8.
import { cStruct, requantFields, weightArrays } from '../codegen/cdata.js';
import { tensorBytes, type OpBase, type Requant, type Tensor } from '../model/tensor.js';
import { checkRequant, requantize } from './common.js';
import { wholeSpan, type OpModule } from './contract.js';

export interface FcOp extends OpBase {
  readonly kind: 'fc';
  readonly outChannels: number;
  readonly weights: Int8Array;
  readonly requant: Requant;
}

function reference(op: FcOp, [input]: readonly Int8Array[], tensors: readonly Tensor[]): Int8Array {
  const inZp = tensors[op.inputs[0]!]!.zeroPoint;
  const outZp = tensors[op.output]!.zeroPoint;
  const out = new Int8Array(op.outChannels);
  const n = input!.length;
  for (let o = 0; o < op.outChannels; o++) {
    let acc = op.requant.bias[o]!;
    const wBase = o * n;
    for (let i = 0; i < n; i++) acc += (input![i]! - inZp) * op.weights[wBase + i]!;
    out[o] = requantize(acc, op.requant, o, outZp);
  }
  return out;
}

export const fc: OpModule<FcOp> = {
  kind: 'fc',
  summary: 'fully connected over the flattened input, per-channel int8 weights [out][in], int32 bias',
  outputShape: (op) => [1, 1, op.outChannels],
  check: (op, tensors) => {
    if (op.inputs.length !== 1) return [`inputs: expected 1 tensor, found ${op.inputs.length}`];
    const input = tensors[op.inputs[0]!];
    if (input === undefined) return [`inputs[0]: no tensor ${op.inputs[0]}`];
    const weights = op.outChannels * tensorBytes(input);
    return [
      ...(op.weights.length === weights ? [] : [`weights: expected ${weights} values, found ${op.weights.length}`]),
      ...checkRequant(op.requant, op.outChannels),
    ];
  },
  macsPerOutputPixel: (op, tensors) => op.outChannels * tensorBytes(tensors[op.inputs[0]!]!),
  params: (op) => op.weights.length + op.requant.bias.length,
  weightBytes: (op) => op.weights.length + 12 * op.requant.bias.length,
  paperLayerBytes: (_op, [inBytes], outBytes) => inBytes! + outBytes,
  overwrites: [],
  inPlaceScratchBytes: () => 0,
  wholeTensor: 'the patch stage cannot contain fc',
  inputSpan: (_op, _k, _axis, _out, size) => wholeSpan(size),
  reference,
  emit: (op, tensors, prefix) => {
    const inT = tensors[op.inputs[0]!]!;
    const outT = tensors[op.output]!;
    return {
      data:
        weightArrays(prefix, op.weights, op.requant) +
        cStruct('rig_fc_params', `${prefix}_p`, [
          { in_n: tensorBytes(inT), out_n: op.outChannels },
          ...requantFields(prefix, inT.zeroPoint, outT.zeroPoint, op.requant),
        ]),
      call: (s) => `rig_fc_s8(&${prefix}_p, ${s.inputs[0]}, ${s.output});`,
    };
  },
};
