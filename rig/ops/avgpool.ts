// avgpool: global average pooling over rows and columns, per channel; the output shares the
// input's quantization (TFLite AVERAGE_POOL_2D over the whole input). C kernel:
// rig_avgpool_global_s8.
import { cStruct } from '../codegen/cdata.js';
import { clamp } from '../model/quant.js';
import type { OpBase, Tensor } from '../model/tensor.js';
import { checkActivationRange, WEIGHTLESS } from './common.js';
import { wholeSpan, type OpModule } from './contract.js';

export interface AvgPoolOp extends OpBase {
  readonly kind: 'avgpool';
  readonly actMin: number;
  readonly actMax: number;
}

function reference(op: AvgPoolOp, [input]: readonly Int8Array[], tensors: readonly Tensor[]): Int8Array {
  const [inH, inW, inC] = tensors[op.inputs[0]!]!.shape;
  const out = new Int8Array(inC);
  const count = inH * inW;
  for (let c = 0; c < inC; c++) {
    let acc = 0;
    for (let i = 0; i < count; i++) acc += input![i * inC + c]!;
    // TFLite rounds half away from zero, with C's truncating division.
    const avg = acc > 0 ? Math.trunc((acc + Math.trunc(count / 2)) / count) : Math.trunc((acc - Math.trunc(count / 2)) / count);
    out[c] = clamp(avg, op.actMin, op.actMax);
  }
  return out;
}

export const avgpool: OpModule<AvgPoolOp> = {
  kind: 'avgpool',
  summary: 'global average pool over rows and columns; the output keeps the input quantization',
  outputShape: (_op, [input]) => [1, 1, input![2]],
  check: (op) => {
    if (op.inputs.length !== 1) return [`inputs: expected 1 tensor, found ${op.inputs.length}`];
    return checkActivationRange(op.actMin, op.actMax);
  },
  ...WEIGHTLESS,
  paperLayerBytes: (_op, [inBytes], outBytes) => inBytes! + outBytes,
  overwrites: [],
  wholeTensor: 'a split after a global pool leaves nothing spatial to cut into patches',
  inputSpan: (_op, _k, _axis, _out, size) => wholeSpan(size),
  reference,
  emit: (op, tensors, prefix) => {
    const [h, w, c] = tensors[op.inputs[0]!]!.shape;
    return {
      data: cStruct('rig_pool_params', `${prefix}_p`, [{ in_h: h, in_w: w, c, act_min: op.actMin, act_max: op.actMax }]),
      call: (s) => `rig_avgpool_global_s8(&${prefix}_p, ${s.inputs[0]}, ${s.output});`,
    };
  },
};
