// scores: multi-head attention scores Q·Kᵀ, int8 in and out. The input is the token matrix of
// queries, keys and values [T, 1, ≥ 3·heads·headDim] (each head's channels contiguous, Q at
// qOffset, K at kOffset); the output [T, heads, T] holds, for query token i (row) and head h
// (column), the scores against every key token j (channels):
//   out[i][h][j] = clamp(z_out + M·Σ_d (q[i][h·dh + d] − z)(k[j][h·dh + d] − z), -128, 127)
// with M = multiplier·2^shift (1/√dh and the scales folded in). A query row needs every key, so
// the input is read whole; output rows may be computed in blocks (operator integration: scores,
// softmax and ·V a block of query rows at a time, never a T×T matrix). C kernel: rig_scores_s8.
import { cStruct } from '../codegen/cdata.js';
import { clamp, multiplyByQuantizedMultiplier } from '../model/quant.js';
import type { OpBase, Tensor } from '../model/tensor.js';
import { wholeSpan, type OpModule } from './contract.js';

export interface ScoresOp extends OpBase {
  readonly kind: 'scores';
  readonly heads: number;
  readonly headDim: number;
  /** Channel of each token where head 0's query (key) starts. */
  readonly qOffset: number;
  readonly kOffset: number;
  readonly multiplier: number;
  readonly shift: number;
}

function reference(op: ScoresOp, [qkv]: readonly Int8Array[], tensors: readonly Tensor[]): Int8Array {
  const inT = tensors[op.inputs[0]!]!;
  const [t, , c] = inT.shape;
  const z = inT.zeroPoint;
  const outZp = tensors[op.output]!.zeroPoint;
  const out = new Int8Array(t * op.heads * t);
  for (let i = 0; i < t; i++)
    for (let h = 0; h < op.heads; h++) {
      const q = i * c + op.qOffset + h * op.headDim;
      for (let j = 0; j < t; j++) {
        const k = j * c + op.kOffset + h * op.headDim;
        let acc = 0;
        for (let d = 0; d < op.headDim; d++) acc += (qkv![q + d]! - z) * (qkv![k + d]! - z);
        out[(i * op.heads + h) * t + j] = clamp(outZp + multiplyByQuantizedMultiplier(acc, op.multiplier, op.shift), -128, 127);
      }
    }
  return out;
}

/** What is wrong with a head layout over `channels` channels. */
export function checkHeads(heads: number, headDim: number, offsets: Readonly<Record<string, number>>, channels: number): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(heads) || heads < 1 || heads > 64) problems.push(`heads: expected a whole number from 1 to 64, found ${heads}`);
  if (!Number.isInteger(headDim) || headDim < 1) problems.push(`headDim: expected a whole number from 1, found ${headDim}`);
  for (const [name, offset] of Object.entries(offsets)) {
    if (!Number.isInteger(offset) || offset < 0 || offset + heads * headDim > channels)
      problems.push(`${name}: expected ${heads}×${headDim} channels from it within the input's ${channels}, found ${offset}`);
  }
  return problems;
}

export const scores: OpModule<ScoresOp> = {
  kind: 'scores',
  summary: 'attention scores Q·Kᵀ per head, int8, one requantization',
  outputShape: (op, [input]) => [input![0], op.heads, input![0]],
  check: (op, tensors) => {
    if (op.inputs.length !== 1) return [`inputs: expected 1 tensor, found ${op.inputs.length}`];
    const input = tensors[op.inputs[0]!];
    if (input === undefined) return [`inputs[0]: no tensor ${op.inputs[0]}`];
    const problems: string[] = [];
    if (input.shape[1] !== 1) problems.push(`inputs[0]: expected a token matrix T×1×C, found ${input.shape.join('×')}`);
    problems.push(...checkHeads(op.heads, op.headDim, { qOffset: op.qOffset, kOffset: op.kOffset }, input.shape[2]));
    if (!Number.isInteger(op.multiplier) || op.multiplier < 0 || op.multiplier > 2 ** 31 - 1 || !Number.isInteger(op.shift) || op.shift < -31 || op.shift > 30)
      problems.push(`multiplier: expected a Q31 multiplier and a shift from -31 to 30, found ${op.multiplier} and ${op.shift}`);
    return problems;
  },
  macsPerOutputPixel: (op, tensors) => op.headDim * tensors[op.inputs[0]!]!.shape[0],
  params: () => 0,
  weightBytes: () => 0,
  paperLayerBytes: (_op, [inBytes], outBytes) => inBytes! + outBytes,
  overwrites: [],
  inPlaceScratchBytes: () => 0,
  wholeTensor: null,
  inputSpan: (_op, _k, _axis, _out, size) => wholeSpan(size),
  reference,
  emit: (op, tensors, prefix) => {
    const inT = tensors[op.inputs[0]!]!;
    const [t, , c] = inT.shape;
    return {
      data: cStruct('rig_scores_params', `${prefix}_p`, [
        { tokens: t, c, heads: op.heads, head_dim: op.headDim, q_offset: op.qOffset, k_offset: op.kOffset },
        { in_zp: inT.zeroPoint, out_zp: tensors[op.output]!.zeroPoint, multiplier: op.multiplier, shift: op.shift },
      ]),
      call: (s) => `rig_scores_s8(&${prefix}_p, ${s.window}, ${s.inputs[0]}, ${s.output});`,
    };
  },
};
