// The contract every operator module fulfils. One module per operator kind holds everything the
// pipeline needs to know about it (docs/operators.md shows how to add one); rig/ops/registry.ts is
// the only place that picks a module by kind. Pure: modules compute, they never touch files.
import type { OpBase, Shape, Span, Tensor } from '../model/tensor.js';

/** Where one step's buffers are, as C expressions, for an op's emitted call. */
export interface CallSite {
  /** A pointer into the arena per input, in `op.inputs` order. */
  readonly inputs: readonly string[];
  readonly output: string;
  /** The step's scratch buffer, or `NULL`. */
  readonly scratch: string;
  /** The address of the step's `rig_window` (`&rig_w3`); `NULL` for an op that takes whole tensors. */
  readonly window: string;
  /** The output is written over one of the inputs (the memory plan chose it; see `overwrites`). */
  readonly inPlace: boolean;
}

export interface EmittedOp {
  /** Constant data (weights, requantization) and the parameter struct, emitted once per op. */
  readonly data: string;
  /** The C statement that runs one step of the op. */
  call(site: CallSite): string;
}

export interface OpModule<O extends OpBase> {
  readonly kind: O['kind'];
  /** One line on what the op computes. */
  readonly summary: string;

  // Fields and shapes.
  /** The output shape the op computes from its fields and its inputs' shapes. */
  outputShape(op: O, inputs: readonly Shape[]): Shape;
  /**
   * What is wrong with the op's fields against its tensors (inputs, weight and parameter sizes,
   * pads, ranges); empty when nothing is. The output tensor's shape is checked against
   * `outputShape` for every op alike (checkModel).
   */
  check(op: O, tensors: readonly Tensor[]): string[];

  // Counts.
  /** Multiply-accumulates of one output pixel, all its channels (a region's MACs are its pixels × this). */
  macsPerOutputPixel(op: O, tensors: readonly Tensor[]): number;
  /** Parameters as the papers (PyTorch) count them. */
  params(op: O): number;
  /** Bytes of constant data the op puts in flash. */
  weightBytes(op: O): number;
  /**
   * One layer in MCUNetV2's peak-memory metric, from the bytes of each input and of the output;
   * null where the metric does not count the op as a layer.
   */
  paperLayerBytes(op: O, inputBytes: readonly number[], outputBytes: number): number | null;

  // Memory.
  /** Inputs (indices into `op.inputs`) the output may be written over when that input dies at this op, preferred first. */
  readonly overwrites: readonly number[];
  /**
   * The op's `overwrites` are MCUFormer's token overwriting: a per-token operator writing each
   * output token over the input token it consumed, with one token's scratch. Only a schedule that
   * overwrites tokens (`mcuformer`) takes them; the layer-wise schedule keeps such tensors whole.
   */
  readonly tokenOverwriting?: boolean;
  /** Scratch bytes a step needs when it writes over an input whose buffer holds `pixels` pixels. */
  inPlaceScratchBytes(op: O, pixels: number): number;

  // Tiling.
  /**
   * Null when any rectangle of the output can be computed from rectangles of the inputs (the op
   * can run in a patch stage, per region); otherwise why not, for a refusal.
   */
  readonly wholeTensor: string | null;
  /**
   * The span of input `k` along `axis` (0: rows, 1: columns) that output span `out` reads:
   * clipped to the input's `size` (taps outside it are padding), or not (padding as if data).
   */
  inputSpan(op: O, k: number, axis: 0 | 1, out: Span, size: number, clip: boolean): Span;

  // Execution.
  /** The reference implementation: the whole output from whole inputs, bit-exact with the C kernel. */
  reference(op: O, inputs: readonly Int8Array[], tensors: readonly Tensor[]): Int8Array;
  /** C for the op: its constant data, and the call of its kernel (firmware-templates/kernels/rig_kernels.h). */
  emit(op: O, tensors: readonly Tensor[], prefix: string): EmittedOp;
}

/** The input span of an op that reads its whole input for any output. */
export const wholeSpan = (size: number): Span => ({ lo: 0, hi: size });
