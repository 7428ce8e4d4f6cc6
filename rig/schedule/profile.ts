// The per-layer profile: how the firmware's profiling pass files each step's time, and how the host
// reads it back. The generated rig_model_profile (rig/codegen/c.ts) reads the running timer after
// every step and adds the step's ticks to its slot: one slot per operator of the model, then one for
// copying the input from flash, then one for the tiling's region copies. A step's ticks include its
// call and one timer read (a few instructions, against thousands in any kernel). Pure.
import type { Model } from '../model/ir.js';
import type { Plan, Step } from './plan.js';

/** One operator of the model in a profile: all its steps (patches, stream windows) summed. */
export interface LayerProfile {
  name: string;
  op: string;
  /** The operator's whole output tensor, H×W×C. */
  shape: number[];
  /** MACs its steps executed, recomputed halos included. */
  macs: number;
  /** In the row's latency unit (emulated instructions or CPU cycles). */
  latency: number;
}

/** The profiled inference (one pass after the timed runs), in the row's latency unit. */
export interface Profile {
  /** The whole profiled inference, from the timer's start to its stop. */
  total: number;
  layers: LayerProfile[];
  /** Outside the layers: copying the input (or each patch's part of it) from flash into the arena. */
  input: number;
  /** Outside the layers: the tiling's region copies (stream buffers). */
  copies: number;
  /** Outside the layers: the rest of the total, before the first step and after the last. */
  rest: number;
}

/** Slots of a model's profile: its operators, the input copy, the region copies. */
export const profileSlotCount = (model: Model): number => model.ops.length + 2;

/** The slot a step's ticks go to. */
export function profileSlot(model: Model, step: Step): number {
  switch (step.kind) {
    case 'op':
      return step.op;
    case 'load':
      return model.ops.length;
    case 'copy':
      return model.ops.length + 1;
  }
}

/** The row's profile from the firmware's slot ticks and the pass's total ticks. */
export function readProfile(plan: Plan, slotTicks: readonly number[], totalTicks: number, toLatency: (ticks: number) => number): Profile {
  const { model } = plan;
  const macs = new Array<number>(model.ops.length).fill(0);
  for (const step of plan.steps) if (step.kind === 'op') macs[step.op]! += step.macs;
  const layers = model.ops.map((op, i) => ({
    name: op.name,
    op: op.kind,
    shape: [...model.tensors[op.output]!.shape],
    macs: macs[i]!,
    latency: toLatency(slotTicks[i]!),
  }));
  const n = model.ops.length;
  const slotsTotal = slotTicks.reduce((a, b) => a + b, 0);
  return {
    total: toLatency(totalTicks),
    layers,
    input: toLatency(slotTicks[n]!),
    copies: toLatency(slotTicks[n + 1]!),
    rest: toLatency(totalTicks - slotsTotal),
  };
}
