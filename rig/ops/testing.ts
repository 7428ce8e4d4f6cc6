// What the operator tests share: tensors and a requantization whose arithmetic is easy by hand.
import type { Requant, Shape, Tensor } from '../model/tensor.js';

/** Multiplier 2^30 with shift 0 is exactly ×0.5; with shift 1, ×1. */
export const unitRequant = (channels: number, bias: readonly number[], shift = 1, actMin = -128, actMax = 127): Requant => ({
  bias: Int32Array.from(bias),
  multiplier: new Int32Array(channels).fill(1 << 30),
  shift: new Int32Array(channels).fill(shift),
  actMin,
  actMax,
});

/** Tensors 0, 1, … with these shapes and zero points. */
export const tensorsOf = (...specs: readonly (readonly [Shape, number])[]): Tensor[] =>
  specs.map(([shape, zeroPoint], id) => ({ id, name: `t${id}`, shape, zeroPoint }));
