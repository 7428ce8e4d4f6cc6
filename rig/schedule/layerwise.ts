// Layer-wise schedule: every op reads and writes whole tensors in the arena. Memory is planned from
// tensor lifetimes (a residual's input stays live until its add), with two in-place rewrites:
// a depthwise convolution writes over its input when nothing reads that input later (it then needs
// one channel plane of scratch), and an add writes over an input that dies with it.
import { opInputs, opMacs, tensorBytes, type Model, type Op } from '../model/ir.js';
import { liveBytesBound, placeBuffers, type Interval } from './arena.js';
import type { Buffer, Plan, Step } from './plan.js';

interface Group {
  tensors: number[];
  sizeBytes: number;
  first: number;
  last: number;
}

/** The input an op may overwrite, or undefined. */
function inPlaceInput(model: Model, op: Op, step: number, lastUse: Map<number, number>): number | undefined {
  const diesHere = (t: number) => lastUse.get(t) === step && t !== model.output;
  switch (op.kind) {
    case 'dwconv2d':
      return diesHere(op.input) ? op.input : undefined;
    case 'add':
      return diesHere(op.input2) ? op.input2 : diesHere(op.input) ? op.input : undefined;
    default:
      return undefined;
  }
}

export function planLayerwise(model: Model): Plan {
  const lastUse = new Map<number, number>();
  model.ops.forEach((op, step) => {
    for (const t of opInputs(op)) lastUse.set(t, step);
  });
  // The output is read (CRC) after the last step.
  lastUse.set(model.output, model.ops.length);

  const groupOf = new Map<number, Group>();
  const groups: Group[] = [];
  const newGroup = (tensor: number, first: number) => {
    const g: Group = { tensors: [tensor], sizeBytes: tensorBytes(model.tensors[tensor]!), first, last: lastUse.get(tensor) ?? first };
    groups.push(g);
    groupOf.set(tensor, g);
  };
  newGroup(model.input, -1);

  const scratch: (Interval | null)[] = [];
  const inPlace: boolean[] = [];
  model.ops.forEach((op, step) => {
    const over = inPlaceInput(model, op, step, lastUse);
    if (over === undefined) {
      newGroup(op.output, step);
    } else {
      const g = groupOf.get(over)!;
      g.tensors.push(op.output);
      g.sizeBytes = Math.max(g.sizeBytes, tensorBytes(model.tensors[op.output]!));
      g.last = Math.max(g.last, lastUse.get(op.output) ?? step);
      groupOf.set(op.output, g);
    }
    inPlace.push(over !== undefined);
    const inShape = model.tensors[op.input]!.shape;
    scratch.push(op.kind === 'dwconv2d' && over !== undefined ? { sizeBytes: inShape[0] * inShape[1], first: step, last: step } : null);
  });

  const intervals: Interval[] = [...groups, ...scratch.filter((s): s is Interval => s !== null)];
  const { offsets, peakBytes } = placeBuffers(intervals);
  const buffers: Buffer[] = groups.map((g, i) => ({
    tensors: g.tensors,
    name: g.tensors.map((t) => model.tensors[t]!.name).join('+'),
    sizeBytes: g.sizeBytes,
    offset: offsets[i]!,
    first: g.first,
    last: g.last,
  }));
  let next = groups.length;
  const steps: Step[] = model.ops.map((op, i) => {
    const s = scratch[i];
    let scratchBuffer: Buffer | null = null;
    if (s) {
      scratchBuffer = { tensors: [], name: `${op.name}_scratch`, sizeBytes: s.sizeBytes, offset: offsets[next++]!, first: i, last: i };
      buffers.push(scratchBuffer);
    }
    return { op: i, name: op.name, macs: opMacs(model, op), inPlace: inPlace[i]!, scratch: scratchBuffer };
  });
  return {
    model,
    schedule: 'layer',
    buffers,
    steps,
    arenaBytes: peakBytes,
    liveBytesBound: liveBytesBound(intervals),
    macs: steps.reduce((s, st) => s + st.macs, 0),
  };
}
