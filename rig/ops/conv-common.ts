// What the two convolutions share: their window arithmetic (output size, receptive field, also
// the k×k average pool's), their checks and their C parameter struct (rig_conv_params). Pure.
import { cStruct, requantFields, weightArrays } from '../codegen/cdata.js';
import { convOutputSize, type OpBase, type Requant, type Shape, type Span, type Tensor } from '../model/tensor.js';
import { checkRequant } from './common.js';

/**
 * A kh×kw window moved by `stride`, with `padTop`/`padLeft` rows and columns of padding before
 * the input and `padBottom`/`padRight` after it (default: the same as before; TFLite's SAME padding
 * puts the odd one after). Only the output size depends on the padding after: a tap outside the
 * input is padding wherever it falls.
 */
export interface WindowFields {
  readonly kh: number;
  readonly kw: number;
  readonly stride: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly padBottom?: number;
  readonly padRight?: number;
}

/** A convolution: its window over zero padding, its weights and its per-channel requantization. */
export interface ConvFields extends OpBase, WindowFields {
  readonly weights: Int8Array;
  readonly requant: Requant;
}

/** Output rows and columns of a convolution (or any window op). */
export function convOutputHW(op: WindowFields, input: Shape): [number, number] {
  return [
    convOutputSize(input[0], op.kh, op.stride, op.padTop, op.padBottom ?? op.padTop),
    convOutputSize(input[1], op.kw, op.stride, op.padLeft, op.padRight ?? op.padLeft),
  ];
}

export function convInputSpan(op: WindowFields, axis: 0 | 1, out: Span, size: number, clip: boolean): Span {
  const pad = axis === 0 ? op.padTop : op.padLeft;
  const k = axis === 0 ? op.kh : op.kw;
  const lo = out.lo * op.stride - pad;
  const hi = (out.hi - 1) * op.stride - pad + k;
  return clip ? { lo: Math.max(0, lo), hi: Math.min(size, hi) } : { lo, hi };
}

/** A convolution's own checks, given how many weights and output channels it must have. */
export function checkConv(op: ConvFields, weightCount: number, outChannels: number): string[] {
  const problems = checkWindow(op);
  if (op.weights.length !== weightCount) problems.push(`weights: expected ${weightCount} values, found ${op.weights.length}`);
  problems.push(...checkRequant(op.requant, outChannels));
  return problems;
}

/** A one-input window op's checks: one input, sizes and strides from 1 to 255, padding less than the kernel. */
export function checkWindow(op: WindowFields & Pick<OpBase, 'inputs'>): string[] {
  const problems: string[] = [];
  if (op.inputs.length !== 1) problems.push(`inputs: expected 1 tensor, found ${op.inputs.length}`);
  for (const [name, v, min] of [
    ['kh', op.kh, 1],
    ['kw', op.kw, 1],
    ['stride', op.stride, 1],
    ['padTop', op.padTop, 0],
    ['padLeft', op.padLeft, 0],
    ['padBottom', op.padBottom ?? 0, 0],
    ['padRight', op.padRight ?? 0, 0],
  ] as const) {
    if (!Number.isInteger(v) || v < min || v > 255) problems.push(`${name}: expected a whole number from ${min} to 255, found ${v}`);
  }
  const after = op.padBottom === undefined && op.padRight === undefined ? '' : `, ${op.padBottom ?? op.padTop}, ${op.padRight ?? op.padLeft}`;
  if (Math.max(op.padTop, op.padBottom ?? 0) >= op.kh || Math.max(op.padLeft, op.padRight ?? 0) >= op.kw)
    problems.push(`padding: expected less than the kernel (${op.kh}×${op.kw}), found ${op.padTop}, ${op.padLeft}${after}`);
  return problems;
}

/** The op's weights, requantization and `rig_conv_params` struct `<prefix>_p`. */
export function convData(op: ConvFields, tensors: readonly Tensor[], prefix: string): string {
  const inT = tensors[op.inputs[0]!]!;
  const outT = tensors[op.output]!;
  return (
    weightArrays(prefix, op.weights, op.requant) +
    cStruct('rig_conv_params', `${prefix}_p`, [
      { in_h: inT.shape[0], in_w: inT.shape[1], in_c: inT.shape[2] },
      { out_h: outT.shape[0], out_w: outT.shape[1], out_c: outT.shape[2] },
      { kh: op.kh, kw: op.kw, stride: op.stride, pad_top: op.padTop, pad_left: op.padLeft },
      ...requantFields(prefix, inT.zeroPoint, outT.zeroPoint, op.requant),
    ])
  );
}
