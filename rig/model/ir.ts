// The integer-only model IR: tensors in HWC layout with their int8 zero points, and ops in
// execution order. Everything the firmware needs is here; real-valued scales only served to derive
// the fixed-point multipliers when the model was built.

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

interface OpBase {
  readonly name: string;
  /** Index of the spec block this op came from (schedule options count blocks). */
  readonly block: number;
  readonly output: number;
}

interface ConvBase extends OpBase {
  readonly input: number;
  readonly kh: number;
  readonly kw: number;
  readonly stride: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly weights: Int8Array;
  readonly requant: Requant;
}

/** k×k convolution, weights [outC][kh][kw][inC]; pointwise when kh = kw = 1. */
export interface Conv2dOp extends ConvBase {
  readonly kind: 'conv2d';
}

/** Depthwise convolution with channel multiplier 1, weights [kh][kw][C]. */
export interface DwConv2dOp extends ConvBase {
  readonly kind: 'dwconv2d';
}

/** Global average pool; output shares the input's quantization (TFLite AVERAGE_POOL_2D). */
export interface AvgPoolOp extends OpBase {
  readonly kind: 'avgpool';
  readonly input: number;
  readonly actMin: number;
  readonly actMax: number;
}

/** Fully connected over the flattened input, weights [out][in]. */
export interface FcOp extends OpBase {
  readonly kind: 'fc';
  readonly input: number;
  readonly weights: Int8Array;
  readonly requant: Requant;
}

/**
 * Residual add with requantization of both inputs (TFLite ADD): each input is shifted left by
 * `leftShift`, scaled by its multiplier, summed, and scaled to the output.
 */
export interface AddOp extends OpBase {
  readonly kind: 'add';
  readonly input: number;
  readonly input2: number;
  readonly leftShift: number;
  readonly scale1: QuantizedScale;
  readonly scale2: QuantizedScale;
  readonly outScale: QuantizedScale;
  readonly actMin: number;
  readonly actMax: number;
}

export interface QuantizedScale {
  readonly multiplier: number;
  readonly shift: number;
}

export type Op = Conv2dOp | DwConv2dOp | AvgPoolOp | FcOp | AddOp;
export type OpKind = Op['kind'];

export interface Model {
  readonly name: string;
  readonly seed: number;
  readonly tensors: readonly Tensor[];
  readonly ops: readonly Op[];
  readonly input: number;
  readonly output: number;
  /** The input the benchmark feeds, from the same seed as the weights. */
  readonly inputData: Int8Array;
}

export function tensorBytes(t: Tensor): number {
  return t.shape[0] * t.shape[1] * t.shape[2];
}

export function opInputs(op: Op): readonly number[] {
  return op.kind === 'add' ? [op.input, op.input2] : [op.input];
}

export function convOutputSize(inSize: number, k: number, stride: number, pad: number): number {
  return Math.floor((inSize + 2 * pad - k) / stride) + 1;
}

/** Multiply-accumulates of one op over its whole output, as the papers count them. */
export function opMacs(model: Model, op: Op): number {
  const out = model.tensors[op.output]!.shape;
  return out[0] * out[1] * macsPerOutputPixel(model, op);
}

/** MACs of one output pixel (all its channels), so a region's MACs are its pixels × this. */
export function macsPerOutputPixel(model: Model, op: Op): number {
  const outC = model.tensors[op.output]!.shape[2];
  const inp = model.tensors[op.input]!.shape;
  switch (op.kind) {
    case 'conv2d':
      return outC * op.kh * op.kw * inp[2];
    case 'dwconv2d':
      return outC * op.kh * op.kw;
    case 'fc':
      return outC * inp[0] * inp[1] * inp[2];
    case 'avgpool':
    case 'add':
      return 0;
  }
}

/**
 * Parameters as the papers (PyTorch) count them: convolution weights plus BatchNorm's two per
 * output channel (γ, β; folded into the int8 model's bias and scales), FC weights plus bias.
 */
export function opParams(op: Op): number {
  switch (op.kind) {
    case 'conv2d':
    case 'dwconv2d':
      return op.weights.length + 2 * op.requant.bias.length;
    case 'fc':
      return op.weights.length + op.requant.bias.length;
    case 'avgpool':
    case 'add':
      return 0;
  }
}

/** Bytes of constant data one op puts in flash: int8 weights, int32 bias, multiplier and shift. */
export function opWeightBytes(op: Op): number {
  switch (op.kind) {
    case 'conv2d':
    case 'dwconv2d':
    case 'fc':
      return op.weights.length + 12 * op.requant.bias.length;
    case 'avgpool':
    case 'add':
      return 0;
  }
}

export function modelMacs(model: Model): number {
  return model.ops.reduce((sum, op) => sum + opMacs(model, op), 0);
}
