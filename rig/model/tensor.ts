// What every operator module builds on: tensors in HWC layout with their int8 zero points, the
// per-channel requantization, the fields every op has, and the rectangles schedules cut tensors
// into. No operator is named here (see rig/ops/).

export type Shape = readonly [h: number, w: number, c: number];
export type Activation = 'relu' | 'relu6' | 'none';

export interface Tensor {
  readonly id: number;
  readonly name: string;
  readonly shape: Shape;
  readonly zeroPoint: number;
}

/** Per-output-channel requantization, as TFLite's per-channel int8 kernels take it. */
export interface Requant {
  readonly bias: Int32Array;
  readonly multiplier: Int32Array;
  readonly shift: Int32Array;
  readonly actMin: number;
  readonly actMax: number;
}

/** A real scale as a Q31 multiplier and a power-of-two shift (see quant.ts). */
export interface QuantizedScale {
  readonly multiplier: number;
  readonly shift: number;
}

/** The fields every op has, whatever its kind. */
export interface OpBase {
  readonly kind: string;
  readonly name: string;
  /** Index of the spec block this op came from (schedule options count blocks). */
  readonly block: number;
  /** Tensor ids the op reads, in the order its kernel takes them. */
  readonly inputs: readonly number[];
  readonly output: number;
}

/** Indices [lo, hi) along one axis. */
export interface Span {
  readonly lo: number;
  readonly hi: number;
}

/** Rows [y0, y1) × columns [x0, x1) of a tensor. */
export interface Region {
  readonly y0: number;
  readonly y1: number;
  readonly x0: number;
  readonly x1: number;
}

export function tensorBytes(t: Tensor): number {
  return t.shape[0] * t.shape[1] * t.shape[2];
}

/** Output size along one axis; the padding after the input defaults to the padding before it. */
export function convOutputSize(inSize: number, k: number, stride: number, pad: number, padAfter = pad): number {
  return Math.floor((inSize + pad + padAfter - k) / stride) + 1;
}
