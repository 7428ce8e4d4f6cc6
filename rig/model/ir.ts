// The integer-only model IR: tensors in HWC layout with their int8 zero points, and ops in
// execution order. Everything the firmware needs is here; real-valued scales only served to derive
// the fixed-point multipliers when the model was built. What each op kind means is its module's
// (rig/ops/); this file asks the registry.
import { opModule, type Op } from '../ops/registry.js';
import type { Tensor } from './tensor.js';

export type { Activation, OpBase, QuantizedScale, Region, Requant, Shape, Span, Tensor } from './tensor.js';
export { convOutputSize, tensorBytes } from './tensor.js';
export type * from '../ops/registry.js';

export interface Model {
  readonly name: string;
  readonly seed: number;
  readonly tensors: readonly Tensor[];
  readonly ops: readonly Op[];
  readonly input: number;
  readonly output: number;
  /** The input the benchmark feeds, from the same seed as the weights. */
  readonly inputData: Int8Array;
  /** A vision transformer's hyper-parameters, as its spec gave them (for MCUFormer's memory metric). */
  readonly architecture?: TransformerArchitecture | undefined;
}

export interface TransformerArchitecture {
  /** Embedding dimension D. */
  readonly dim: number;
  /** Patches N (the tokens are N + 1 with the class token). */
  readonly patches: number;
  /** MLP ratio m. */
  readonly mlp: number;
  /** Rank ratio ρ of the low-rank linears; 1 without. */
  readonly rank: number;
  readonly heads: number;
  readonly depth: number;
}

/** Multiply-accumulates of one op over its whole output, as the papers count them. */
export function opMacs(model: Model, op: Op): number {
  const out = model.tensors[op.output]!.shape;
  return out[0] * out[1] * macsPerOutputPixel(model, op);
}

/** MACs of one output pixel (all its channels), so a region's MACs are its pixels × this. */
export function macsPerOutputPixel(model: Model, op: Op): number {
  return opModule(op).macsPerOutputPixel(op, model.tensors);
}

/** Parameters as the papers (PyTorch) count them. */
export function opParams(op: Op): number {
  return opModule(op).params(op);
}

/** Bytes of constant data one op puts in flash. */
export function opWeightBytes(op: Op): number {
  return opModule(op).weightBytes(op);
}

/** Whether the model has per-token operators (a transformer's): MCUFormer's techniques apply to it, MCUNet's metric does not. */
export function hasTokenOperators(model: Model): boolean {
  return model.ops.some((op) => opModule(op).tokenOverwriting === true);
}

export function modelMacs(model: Model): number {
  return model.ops.reduce((sum, op) => sum + opMacs(model, op), 0);
}

/**
 * What is wrong with a model's structure: ops that read tensors not yet computed, and each op's
 * own checks (shapes, weight sizes, ranges), as `ops[i] (name): problem`. Empty when nothing is.
 */
export function checkModel(model: Model): string[] {
  const problems: string[] = [];
  const computed = new Set([model.input]);
  model.ops.forEach((op, i) => {
    const where = `ops[${i}] (${op.name})`;
    const missing = op.inputs.filter((t) => !computed.has(t));
    if (missing.length > 0) {
      problems.push(`${where}: reads tensor ${missing.join(', ')} before it is computed`);
    } else {
      // The op's own checks first; with its fields sound, its output tensor must have the shape it computes.
      const module = opModule(op);
      const own = module.check(op, model.tensors);
      const expected = module.outputShape(
        op,
        op.inputs.map((t) => model.tensors[t]!.shape),
      );
      const found = model.tensors[op.output]!.shape;
      if (own.length === 0 && !expected.every((n, i) => n === found[i])) own.push(`output shape: expected ${expected.join('×')}, found ${found.join('×')}`);
      problems.push(...own.map((p) => `${where}: ${p}`));
    }
    computed.add(op.output);
  });
  if (!computed.has(model.output)) problems.push(`output: tensor ${model.output} is never computed`);
  return problems;
}
