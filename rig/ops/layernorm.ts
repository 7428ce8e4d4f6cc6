// layernorm: LayerNorm over the channels of each token (pixel) in integers only, then a per-channel
// int8 γ, int32 β and requantization. For one token of C channels with input zero point z:
//   d[c] = x[c] − z,  s = Σ d,  u[c] = C·d[c] − s            (= C·(d − mean), exact)
//   S = Σ u[c]²  (< 2^53 for C ≤ 2048),  r = max(1, ⌊√⌊S / C⌋⌋)  (an integer square root;
//                                                             C·σ = √(S/C))
//   n[c] = round(u[c] · 2^12 / r)  (half away from zero)       (the normalized value in Q12)
//   out[c] = requantize(n[c] · γ[c] + β[c])                     (per channel, like a convolution)
// |u·2^12| < 2^31 for C ≤ 2048, so the division is one 32-bit SDIV per channel. The square root
// is found bit by bit (exact floor), as I-BERT's iterative integer square root does by Newton steps.
// Per token: tiled schedules may cut it into token blocks; under token overwriting it writes each
// token over the one it read, whose values it has summed first (no scratch). C kernel: rig_layernorm_s8.
import { cStruct, requantFields, weightArrays } from '../codegen/cdata.js';
import type { OpBase, Requant, Tensor } from '../model/tensor.js';
import { checkRequant, requantize } from './common.js';
import type { OpModule } from './contract.js';

export interface LayerNormOp extends OpBase {
  readonly kind: 'layernorm';
  /** γ per channel (int8). */
  readonly weights: Int8Array;
  /** β as the bias (in units of the Q12 normalized value × γ), multiplier and shift per channel. */
  readonly requant: Requant;
}

/** The normalized value's fixed point: n = u·2^Q / r. */
export const LAYERNORM_Q = 12;
/** Channels the integer arithmetic holds exactly (|u·2^12| < 2^31). */
export const LAYERNORM_MAX_CHANNELS = 2048;

/** ⌊√v⌋ for a whole number v < 2^53. */
export function isqrt(v: number): number {
  let r = Math.floor(Math.sqrt(v));
  while (r * r > v) r--;
  while ((r + 1) * (r + 1) <= v) r++;
  return r;
}

/** One token's normalized values in Q12: `n` gets C entries from `x` (C int8 values, zero point z). */
export function normalizeToken(x: ArrayLike<number>, z: number, n: Int32Array): void {
  const c = n.length;
  let s = 0;
  for (let i = 0; i < c; i++) s += x[i]! - z;
  let sq = 0;
  for (let i = 0; i < c; i++) {
    const u = c * (x[i]! - z) - s;
    n[i] = u;
    sq += u * u;
  }
  const r = Math.max(1, isqrt(Math.floor(sq / c)));
  const half = r >> 1;
  for (let i = 0; i < c; i++) {
    const num = n[i]! * (1 << LAYERNORM_Q);
    n[i] = Math.trunc((num >= 0 ? num + half : num - half) / r);
  }
}

function reference(op: LayerNormOp, [input]: readonly Int8Array[], tensors: readonly Tensor[]): Int8Array {
  const inT = tensors[op.inputs[0]!]!;
  const c = inT.shape[2];
  const outZp = tensors[op.output]!.zeroPoint;
  const out = new Int8Array(input!.length);
  const n = new Int32Array(c);
  for (let t = 0; t < input!.length; t += c) {
    normalizeToken(input!.subarray(t, t + c), inT.zeroPoint, n);
    for (let i = 0; i < c; i++) out[t + i] = requantize(n[i]! * op.weights[i]! + op.requant.bias[i]!, op.requant, i, outZp);
  }
  return out;
}

export const layernorm: OpModule<LayerNormOp> = {
  kind: 'layernorm',
  summary: 'LayerNorm over the channels of each token in integers (integer mean, variance and square root), int8 γ, int32 β',
  outputShape: (_op, [input]) => input!,
  check: (op, tensors) => {
    if (op.inputs.length !== 1) return [`inputs: expected 1 tensor, found ${op.inputs.length}`];
    const input = tensors[op.inputs[0]!];
    if (input === undefined) return [`inputs[0]: no tensor ${op.inputs[0]}`];
    const c = input.shape[2];
    const problems: string[] = [];
    if (c > LAYERNORM_MAX_CHANNELS) problems.push(`inputs[0]: expected at most ${LAYERNORM_MAX_CHANNELS} channels, found ${c}`);
    if (op.weights.length !== c) problems.push(`weights: expected ${c} values (γ per channel), found ${op.weights.length}`);
    problems.push(...checkRequant(op.requant, c));
    return problems;
  },
  macsPerOutputPixel: () => 0,
  params: (op) => 2 * op.weights.length,
  weightBytes: (op) => op.weights.length + 12 * op.weights.length,
  paperLayerBytes: (_op, [inBytes], outBytes) => Math.max(inBytes!, outBytes),
  overwrites: [0],
  tokenOverwriting: true,
  inPlaceScratchBytes: () => 0,
  wholeTensor: null,
  inputSpan: (_op, _k, _axis, out) => out,
  reference,
  emit: (op, tensors, prefix) => {
    const inT = tensors[op.inputs[0]!]!;
    return {
      data:
        weightArrays(prefix, op.weights, op.requant) +
        cStruct('rig_layernorm_params', `${prefix}_p`, [
          { c: inT.shape[2] },
          ...requantFields(prefix, inT.zeroPoint, tensors[op.output]!.zeroPoint, op.requant),
        ]),
      call: (s) => `rig_layernorm_s8(&${prefix}_p, ${s.window}, ${s.inputs[0]}, ${s.output});`,
    };
  },
};
