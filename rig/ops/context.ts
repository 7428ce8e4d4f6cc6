// context: attention probabilities times values, A·V per head, int8 in and out. Inputs: the
// probabilities [T, heads, T] (a softmax's output: query row i, head h, key j) and the token
// matrix holding the values [T, 1, ≥ heads·headDim] (head h's at vOffset + h·headDim); output
// [T, 1, heads·headDim], the heads side by side:
//   out[i][h·dh + d] = clamp(z_out + M·Σ_j (p[i][h][j] − z_p)(v[j][h·dh + d] − z_v), -128, 127)
// Query row i needs row i of the probabilities and every value token: row blocks may be computed
// on their own (operator integration). C kernel: rig_context_s8.
import { cStruct } from '../codegen/cdata.js';
import { clamp, multiplyByQuantizedMultiplier } from '../model/quant.js';
import type { OpBase, Tensor } from '../model/tensor.js';
import { wholeSpan, type OpModule } from './contract.js';
import { checkHeads } from './scores.js';

export interface ContextOp extends OpBase {
  readonly kind: 'context';
  readonly heads: number;
  readonly headDim: number;
  /** Channel of each value token where head 0's value starts. */
  readonly vOffset: number;
  readonly multiplier: number;
  readonly shift: number;
}

function reference(op: ContextOp, [p, qkv]: readonly Int8Array[], tensors: readonly Tensor[]): Int8Array {
  const pT = tensors[op.inputs[0]!]!;
  const vT = tensors[op.inputs[1]!]!;
  const t = pT.shape[0];
  const c = vT.shape[2];
  const dOut = op.heads * op.headDim;
  const outZp = tensors[op.output]!.zeroPoint;
  const out = new Int8Array(t * dOut);
  for (let i = 0; i < t; i++)
    for (let h = 0; h < op.heads; h++) {
      const row = (i * op.heads + h) * t;
      for (let d = 0; d < op.headDim; d++) {
        let acc = 0;
        for (let j = 0; j < t; j++) acc += (p![row + j]! - pT.zeroPoint) * (qkv![j * c + op.vOffset + h * op.headDim + d]! - vT.zeroPoint);
        out[i * dOut + h * op.headDim + d] = clamp(outZp + multiplyByQuantizedMultiplier(acc, op.multiplier, op.shift), -128, 127);
      }
    }
  return out;
}

export const context: OpModule<ContextOp> = {
  kind: 'context',
  summary: 'attention probabilities times values A·V per head, int8, one requantization',
  outputShape: (op, [probs]) => [probs![0], 1, op.heads * op.headDim],
  check: (op, tensors) => {
    if (op.inputs.length !== 2) return [`inputs: expected 2 tensors, found ${op.inputs.length}`];
    const [pT, vT] = op.inputs.map((i) => tensors[i]);
    if (pT === undefined || vT === undefined) return ['inputs: a tensor that does not exist'];
    const problems: string[] = [];
    const [t, h, keys] = pT.shape;
    if (h !== op.heads || keys !== t) problems.push(`inputs[0]: expected probabilities ${t}×${op.heads}×${t}, found ${pT.shape.join('×')}`);
    if (vT.shape[0] !== t || vT.shape[1] !== 1) problems.push(`inputs[1]: expected a token matrix of ${t} tokens, found ${vT.shape.join('×')}`);
    problems.push(...checkHeads(op.heads, op.headDim, { vOffset: op.vOffset }, vT.shape[2]));
    if (!Number.isInteger(op.multiplier) || op.multiplier < 0 || op.multiplier > 2 ** 31 - 1 || !Number.isInteger(op.shift) || op.shift < -31 || op.shift > 30)
      problems.push(`multiplier: expected a Q31 multiplier and a shift from -31 to 30, found ${op.multiplier} and ${op.shift}`);
    return problems;
  },
  macsPerOutputPixel: (op, tensors) => op.heads * op.headDim * tensors[op.inputs[0]!]!.shape[0],
  params: () => 0,
  weightBytes: () => 0,
  paperLayerBytes: (_op, inBytes, outBytes) => inBytes.reduce((a, b) => a + b, 0) + outBytes,
  overwrites: [],
  inPlaceScratchBytes: () => 0,
  wholeTensor: null,
  // The probabilities' rows are the output's (all heads); the values are read whole.
  inputSpan: (_op, k, axis, out, size) => (k === 0 && axis === 0 ? out : wholeSpan(size)),
  reference,
  emit: (op, tensors, prefix) => {
    const pT = tensors[op.inputs[0]!]!;
    const vT = tensors[op.inputs[1]!]!;
    return {
      data: cStruct('rig_context_params', `${prefix}_p`, [
        { tokens: pT.shape[0], c: vT.shape[2], heads: op.heads, head_dim: op.headDim, v_offset: op.vOffset },
        { p_zp: pT.zeroPoint, v_zp: vT.zeroPoint, out_zp: tensors[op.output]!.zeroPoint, multiplier: op.multiplier, shift: op.shift },
      ]),
      call: (s) => `rig_context_s8(&${prefix}_p, ${s.window}, ${s.inputs[0]}, ${s.inputs[1]}, ${s.output});`,
    };
  },
};
