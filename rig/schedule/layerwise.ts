// Layer-wise schedule: every op reads and writes whole tensors in the arena.
import { opInputs, opMacs, tensorBytes, type Model } from '../model/ir.js';
import { placeBuffers } from './arena.js';
import type { Buffer, Plan, Step } from './plan.js';

export function planLayerwise(model: Model): Plan {
  const first = new Map<number, number>([[model.input, -1]]);
  const last = new Map<number, number>();
  model.ops.forEach((op, step) => {
    first.set(op.output, step);
    for (const t of opInputs(op)) last.set(t, step);
  });
  // The output is read (CRC) after the last step.
  last.set(model.output, model.ops.length);

  const tensors = [...first.keys()];
  const intervals = tensors.map((t) => ({
    sizeBytes: tensorBytes(model.tensors[t]!),
    first: first.get(t)!,
    last: last.get(t) ?? first.get(t)!,
  }));
  const { offsets, peakBytes } = placeBuffers(intervals);
  const buffers: Buffer[] = tensors.map((t, i) => ({
    tensor: t,
    name: model.tensors[t]!.name,
    sizeBytes: intervals[i]!.sizeBytes,
    offset: offsets[i]!,
    first: intervals[i]!.first,
    last: intervals[i]!.last,
  }));
  const steps: Step[] = model.ops.map((op, i) => ({ op: i, name: op.name, macs: opMacs(model, op) }));
  return {
    model,
    schedule: 'layer',
    buffers,
    steps,
    arenaBytes: peakBytes,
    macs: steps.reduce((s, st) => s + st.macs, 0),
  };
}
