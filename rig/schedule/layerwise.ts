// Layer-wise schedule: the input is copied whole into the arena, then every op reads and writes
// whole tensors. Memory is planned from tensor lifetimes (a residual's input stays live until its
// add), with the in-place rewrites of `allocatePlan`.
import { hasTokenOperators, type Model } from '../model/ir.js';
import { paperPeakBytes } from './analysis.js';
import { allocatePlan, fullRegion, type Call, type Plan } from './plan.js';

/** The calls that run `ops` whole, one instance per tensor. */
export function layerwiseCalls(model: Model, ops: readonly number[]): Call[] {
  return ops.map((i) => {
    const op = model.ops[i]!;
    return { kind: 'op', op: i, region: fullRegion(model, op.output), outInstance: `${op.output}`, inInstances: op.inputs.map((t) => `${t}`), suffix: '' };
  });
}

export function planLayerwise(model: Model): Plan {
  const calls: Call[] = [
    { kind: 'load', region: fullRegion(model, model.input), instance: `${model.input}` },
    ...layerwiseCalls(
      model,
      model.ops.map((_, i) => i),
    ),
  ];
  // MCUNet's metric counts convolutional layers; no paper defines it for a transformer.
  return allocatePlan(model, 'layer', {}, calls, hasTokenOperators(model) ? null : paperPeakBytes(model));
}
