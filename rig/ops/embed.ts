// embed: the patch grid of a vision transformer as its token matrix. The patch embedding (a k=p,
// stride=p convolution) gives an h×w×D grid; token 0 is the class token, token 1 + i is patch i
// (raster order) plus its positional embedding, all in the grid's quantization:
//   out[0][c] = classToken[c],  out[1 + i][c] = clamp(x[i][c] + position[i][c], -128, 127)
// (the position is quantized with the grid's scale, so adding it needs no rescale; the zero point
// is the grid's). Output [h·w + 1, 1, D]. In place under token overwriting: token 1 + i lands on
// pixel i + 1's bytes, so the kernel goes backwards, last patch first, and needs no scratch.
// C kernel: rig_embed_s8.
import { cArray, cStruct } from '../codegen/cdata.js';
import { clamp } from '../model/quant.js';
import type { OpBase, Shape, Tensor } from '../model/tensor.js';
import type { OpModule } from './contract.js';

export interface EmbedOp extends OpBase {
  readonly kind: 'embed';
  /** The class token, D values in the output's quantization (its positional embedding included). */
  readonly classToken: Int8Array;
  /** Each patch's positional embedding, [h·w][D], at the grid's scale. */
  readonly position: Int8Array;
}

function reference(op: EmbedOp, [input]: readonly Int8Array[], tensors: readonly Tensor[]): Int8Array {
  const d = tensors[op.inputs[0]!]!.shape[2];
  const out = new Int8Array(input!.length + d);
  out.set(op.classToken, 0);
  for (let i = 0; i < input!.length; i++) out[d + i] = clamp(input![i]! + op.position[i]!, -128, 127);
  return out;
}

export const embed: OpModule<EmbedOp> = {
  kind: 'embed',
  summary: 'a patch grid as tokens: the class token first, each patch plus its positional embedding',
  outputShape: (_op, [input]) => [input![0] * input![1] + 1, 1, input![2]] as Shape,
  check: (op, tensors) => {
    if (op.inputs.length !== 1) return [`inputs: expected 1 tensor, found ${op.inputs.length}`];
    const input = tensors[op.inputs[0]!];
    if (input === undefined) return [`inputs[0]: no tensor ${op.inputs[0]}`];
    const [h, w, d] = input.shape;
    const problems: string[] = [];
    if (op.classToken.length !== d) problems.push(`classToken: expected ${d} values, found ${op.classToken.length}`);
    if (op.position.length !== h * w * d) problems.push(`position: expected ${h * w * d} values (${h}×${w} patches × ${d}), found ${op.position.length}`);
    const outZp = tensors[op.output]?.zeroPoint;
    if (outZp !== input.zeroPoint) problems.push(`output zero point: expected the grid's ${input.zeroPoint}, found ${outZp}`);
    return problems;
  },
  macsPerOutputPixel: () => 0,
  params: (op) => op.classToken.length + op.position.length,
  weightBytes: (op) => op.classToken.length + op.position.length,
  paperLayerBytes: (_op, [inBytes], outBytes) => inBytes! + outBytes,
  overwrites: [0],
  tokenOverwriting: true,
  inPlaceScratchBytes: () => 0,
  wholeTensor: 'the class token and positions number every patch of the grid',
  inputSpan: (_op, _k, _axis, _out, size) => ({ lo: 0, hi: size }),
  reference,
  emit: (op, tensors, prefix) => {
    const [h, w, d] = tensors[op.inputs[0]!]!.shape;
    return {
      data:
        cArray('int8_t', `${prefix}_cls`, op.classToken) +
        cArray('int8_t', `${prefix}_pos`, op.position) +
        cStruct('rig_embed_params', `${prefix}_p`, [
          { patches: h * w, d },
          { class_token: `${prefix}_cls`, position: `${prefix}_pos` },
        ]),
      call: (s) => `rig_embed_s8(&${prefix}_p, ${s.inputs[0]}, ${s.output});`,
    };
  },
};
