// linear: the same fully connected layer applied to every token (pixel) of a tensor, [T, W, in] →
// [T, W, out], per-output-channel int8 weights [out][in], an optional int32 bias and per-channel
// requantization: a transformer's qkv, projection and MLP layers, and each factor of a low-rank
// one (in→r and r→r without bias, r→out with bias). The arithmetic is fc's, token by token.
// Under token overwriting it writes each output token over the input token it consumed: the
// token is first copied to one token's scratch; tokens go forwards when the output's are no
// larger than the input's, backwards when they are larger, so that a write only ever lands on
// tokens already consumed. C kernel: rig_linear_s8.
import { cStruct, requantFields, weightArrays } from '../codegen/cdata.js';
import type { OpBase, Requant, Tensor } from '../model/tensor.js';
import { checkRequant, requantize } from './common.js';
import type { OpModule } from './contract.js';

export interface LinearOp extends OpBase {
  readonly kind: 'linear';
  readonly outChannels: number;
  /** [out][in] */
  readonly weights: Int8Array;
  /** Per output channel; the bias is all zeros when `hasBias` is false. */
  readonly requant: Requant;
  /** Whether the layer has a bias (a low-rank layer's first two factors have none): counts parameters only. */
  readonly hasBias: boolean;
}

function reference(op: LinearOp, [input]: readonly Int8Array[], tensors: readonly Tensor[]): Int8Array {
  const inT = tensors[op.inputs[0]!]!;
  const n = inT.shape[2];
  const m = op.outChannels;
  const tokens = inT.shape[0] * inT.shape[1];
  const inZp = inT.zeroPoint;
  const outZp = tensors[op.output]!.zeroPoint;
  const out = new Int8Array(tokens * m);
  for (let t = 0; t < tokens; t++) {
    const x = t * n;
    for (let o = 0; o < m; o++) {
      let acc = op.requant.bias[o]!;
      const w = o * n;
      for (let i = 0; i < n; i++) acc += (input![x + i]! - inZp) * op.weights[w + i]!;
      out[t * m + o] = requantize(acc, op.requant, o, outZp);
    }
  }
  return out;
}

export const linear: OpModule<LinearOp> = {
  kind: 'linear',
  summary: 'a fully connected layer on every token, per-channel int8 weights [out][in], optional int32 bias',
  outputShape: (op, [input]) => [input![0], input![1], op.outChannels],
  check: (op, tensors) => {
    if (op.inputs.length !== 1) return [`inputs: expected 1 tensor, found ${op.inputs.length}`];
    const input = tensors[op.inputs[0]!];
    if (input === undefined) return [`inputs[0]: no tensor ${op.inputs[0]}`];
    const weights = op.outChannels * input.shape[2];
    const problems =
      op.weights.length === weights ? [] : [`weights: expected ${weights} values (${op.outChannels}×${input.shape[2]}), found ${op.weights.length}`];
    problems.push(...checkRequant(op.requant, op.outChannels));
    if (!op.hasBias && op.requant.bias.some((b) => b !== 0)) problems.push('bias: expected all zeros for a layer without bias');
    return problems;
  },
  macsPerOutputPixel: (op, tensors) => op.outChannels * tensors[op.inputs[0]!]!.shape[2],
  params: (op) => op.weights.length + (op.hasBias ? op.outChannels : 0),
  weightBytes: (op) => op.weights.length + 12 * op.outChannels,
  paperLayerBytes: (_op, [inBytes], outBytes) => inBytes! + outBytes,
  overwrites: [0],
  tokenOverwriting: true,
  // One input token aside.
  inPlaceScratchBytes: (op) => op.weights.length / op.outChannels,
  wholeTensor: null,
  inputSpan: (_op, _k, _axis, out) => out,
  reference,
  emit: (op, tensors, prefix) => {
    const inT = tensors[op.inputs[0]!]!;
    const outT = tensors[op.output]!;
    return {
      data:
        weightArrays(prefix, op.weights, op.requant) +
        cStruct('rig_linear_params', `${prefix}_p`, [
          { in_c: inT.shape[2], out_c: op.outChannels },
          ...requantFields(prefix, inT.zeroPoint, outT.zeroPoint, op.requant),
        ]),
      // The scratch (one input token) marks a call in place: the kernel then orders its tokens.
      call: (s) => `rig_linear_s8(&${prefix}_p, ${s.window}, ${s.inputs[0]}, ${s.output}, ${s.inPlace ? s.scratch : 'NULL'});`,
    };
  },
};
