// The reference interpreter: plain TypeScript over the IR, written for clarity, not speed; each
// op's arithmetic is its module's `reference`. The device's output CRC must equal the CRC of what
// this computes.
import { opModule } from '../ops/registry.js';
import type { Model } from './ir.js';

/** Runs the whole model on `input` (default: the model's own seeded input); returns every tensor. */
export function interpret(model: Model, input: Int8Array = model.inputData): Map<number, Int8Array> {
  const values = new Map<number, Int8Array>([[model.input, input]]);
  for (const op of model.ops) {
    const inputs = op.inputs.map((t) => {
      const v = values.get(t);
      if (v === undefined) throw new Error(`reference: ${op.name} reads ${model.tensors[t]?.name ?? `tensor ${t}`} before it is computed`);
      return v;
    });
    values.set(op.output, opModule(op).reference(op, inputs, model.tensors));
  }
  return values;
}

export function referenceOutput(model: Model, input?: Int8Array): Int8Array {
  return interpret(model, input).get(model.output)!;
}
