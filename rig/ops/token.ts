// token: one token of a token matrix, [T, 1, D] → [1, 1, D] (a vision transformer's class token,
// token 0, for its classifier). A copy. C kernel: rig_token_s8.
import { cStruct } from '../codegen/cdata.js';
import type { OpBase, Tensor } from '../model/tensor.js';
import { WEIGHTLESS } from './common.js';
import { wholeSpan, type OpModule } from './contract.js';

export interface TokenOp extends OpBase {
  readonly kind: 'token';
  readonly index: number;
}

function reference(op: TokenOp, [input]: readonly Int8Array[], tensors: readonly Tensor[]): Int8Array {
  const d = tensors[op.inputs[0]!]!.shape[2];
  return input!.slice(op.index * d, (op.index + 1) * d);
}

export const token: OpModule<TokenOp> = {
  kind: 'token',
  summary: 'one token of a token matrix (the class token for the classifier)',
  outputShape: (_op, [input]) => [1, 1, input![2]],
  check: (op, tensors) => {
    if (op.inputs.length !== 1) return [`inputs: expected 1 tensor, found ${op.inputs.length}`];
    const input = tensors[op.inputs[0]!];
    if (input === undefined) return [`inputs[0]: no tensor ${op.inputs[0]}`];
    const [t, w] = input.shape;
    const problems: string[] = [];
    if (w !== 1) problems.push(`inputs[0]: expected a token matrix T×1×D, found ${input.shape.join('×')}`);
    if (!Number.isInteger(op.index) || op.index < 0 || op.index >= t) problems.push(`index: expected a whole number from 0 to ${t - 1}, found ${op.index}`);
    if (tensors[op.output]?.zeroPoint !== input.zeroPoint)
      problems.push(`output zero point: expected the input's ${input.zeroPoint}, found ${tensors[op.output]?.zeroPoint}`);
    return problems;
  },
  ...WEIGHTLESS,
  paperLayerBytes: (_op, _in, outBytes) => outBytes,
  overwrites: [],
  wholeTensor: 'it reads one token of the whole matrix',
  inputSpan: (_op, _k, _axis, _out, size) => wholeSpan(size),
  reference,
  emit: (op, tensors, prefix) => ({
    data: cStruct('rig_token_params', `${prefix}_p`, [{ index: op.index, d: tensors[op.inputs[0]!]!.shape[2] }]),
    call: (s) => `rig_token_s8(&${prefix}_p, ${s.inputs[0]}, ${s.output});`,
  }),
};
