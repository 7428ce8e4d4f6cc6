// A schedule plan: the calls an inference makes, each on a region of its tensors, and where every
// buffer lives in the one arena and when. Pure data, shared by the code generator, the tables and
// the store. Every schedule lowers to the same form: a list of calls, each computing one region
// of an op's output from regions of its inputs; `allocatePlan` turns that list into buffers.
import { hasTokenOperators, macsPerOutputPixel, type Model, type Op, type Region } from '../model/ir.js';
import { opModule } from '../ops/registry.js';
import { liveBytesBound, placeBuffers, type Interval } from './arena.js';

export const SCHEDULES = ['layer', 'patch', 'stream1d', 'stream2d', 'mcuformer'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];
/** The schedules for convolutional networks (mcuformer's techniques apply to transformers only). */
export const CNN_SCHEDULES: readonly ScheduleName[] = ['layer', 'patch', 'stream1d', 'stream2d'];
/** The schedules for vision transformers (a patch stage cannot hold their token operators). */
export const TRANSFORMER_SCHEDULES: readonly ScheduleName[] = ['layer', 'mcuformer'];

/** Every schedule that applies to the model, so that they compare side by side: what `rig bench` and a nightly entry run unless told. */
export function defaultSchedules(model: Model): readonly ScheduleName[] {
  return hasTokenOperators(model) ? TRANSFORMER_SCHEDULES : CNN_SCHEDULES;
}

export type { Region };

export const regionPixels = (r: Region) => Math.max(0, r.y1 - r.y0) * Math.max(0, r.x1 - r.x0);

export function fullRegion(model: Model, tensor: number): Region {
  const [h, w] = model.tensors[tensor]!.shape;
  return { y0: 0, y1: h, x0: 0, x1: w };
}

export interface Buffer {
  /** Tensors stored here over time; more than one when an op writes its output over its input. Empty for scratch. */
  readonly tensors: readonly number[];
  readonly name: string;
  /** A tensor (or a region of one), a stream buffer keeping an overlap for later cells, or kernel scratch. */
  readonly role: 'tensor' | 'stream' | 'scratch';
  readonly sizeBytes: number;
  readonly offset: number;
  /** Live from step `first` to step `last`, both included (the output stays live to the end). */
  readonly first: number;
  readonly last: number;
}

/** A region of a tensor held in a buffer, row-major HWC over the region, from the buffer's start. */
export interface Slot {
  readonly tensor: number;
  readonly region: Region;
  readonly buffer: Buffer;
}

/** Copies a region of the model input from flash into the arena. */
export interface LoadStep {
  readonly kind: 'load';
  readonly name: string;
  readonly output: Slot;
}

/** Computes `region` of an op's output into the output slot (which may hold a larger region). */
export interface OpStep {
  readonly kind: 'op';
  readonly op: number;
  readonly name: string;
  readonly region: Region;
  readonly macs: number;
  readonly inputs: readonly Slot[];
  readonly output: Slot;
  /** The op writes its output over one of its inputs (the same buffer). */
  readonly inPlace: boolean;
  /** Working memory the kernel needs during this step only. */
  readonly scratch: Buffer | null;
}

/** Copies a region of a tensor from one buffer to another (stream buffers). */
export interface CopyStep {
  readonly kind: 'copy';
  readonly name: string;
  readonly region: Region;
  readonly input: Slot;
  readonly output: Slot;
}

export type Step = LoadStep | OpStep | CopyStep;

export interface Plan {
  readonly model: Model;
  readonly schedule: ScheduleName;
  /** Options that shaped the schedule (patch grid and split), for the record. */
  readonly options: Readonly<Record<string, number>>;
  readonly buffers: readonly Buffer[];
  readonly steps: readonly Step[];
  /** Bytes of arena the plan needs: the highest byte any buffer reaches. */
  readonly arenaBytes: number;
  /** The most bytes live at any one step: no layout of these buffers can need less. */
  readonly liveBytesBound: number;
  /** MACs the schedule executes, recomputation included. */
  readonly macs: number;
  /** MCUNet / MCUNetV2's analytic metric for this schedule (see analysis.ts), not an arena size; null where the papers define none. */
  readonly paperPeakBytes: number | null;
}

/**
 * One call of a schedule before allocation. A tensor's `instance` names one materialization of
 * it: a patch schedule keeps one instance of each stage tensor per patch. Instances written by
 * several calls (the stage output, filled patch by patch) get one buffer for all of them. An
 * instance whose name contains `#` is a stream buffer.
 */
export type Call =
  | { readonly kind: 'load'; readonly region: Region; readonly instance: string }
  | { readonly kind: 'copy'; readonly tensor: number; readonly region: Region; readonly from: string; readonly to: string }
  | {
      readonly kind: 'op';
      readonly op: number;
      /** The output region this call computes. */
      readonly region: Region;
      readonly outInstance: string;
      /** The instance each input is read from, in `op.inputs` order. */
      readonly inInstances: readonly string[];
      readonly suffix: string;
    };

interface Access {
  readonly step: number;
  readonly region: Region;
}

interface Instance {
  readonly key: string;
  readonly tensor: number;
  region: Region | undefined;
  writers: number;
  first: number;
  last: number;
  group: Group | undefined;
  readonly reads: Access[];
  readonly writes: Access[];
  /** The instance a tensor filled block by block is written over (token overwriting across calls). */
  over: Instance | undefined;
  /** Another instance is written over this one while it is still read: no third may take its place. */
  taken: boolean;
}

interface Group {
  instances: Instance[];
  sizeBytes: number;
  first: number;
  last: number;
}

/** The smallest region holding both. */
function union(a: Region | undefined, b: Region): Region {
  if (a === undefined) return b;
  return { y0: Math.min(a.y0, b.y0), y1: Math.max(a.y1, b.y1), x0: Math.min(a.x0, b.x0), x1: Math.max(a.x1, b.x1) };
}

/**
 * The input an op writes its output over: the first of those its module may overwrite
 * (`overwrites`) that dies at this step, when the output is written by this call alone; under token
 * overwriting, for a tensor filled region by region, one that no later read needs where it lands
 * (`overwritable`).
 */
function inPlaceInput(
  op: Op,
  inputs: readonly Instance[],
  out: Instance,
  step: number,
  outputKey: string,
  tokenOverwriting: boolean,
  bytes: (i: Instance) => number,
): Instance | undefined {
  const module = opModule(op);
  if (module.tokenOverwriting === true && !tokenOverwriting) return undefined;
  // A token's output over its input only when both hold the same tokens in one layout (what the
  // kernels assume): a larger output would hold the larger buffer for the input's whole life, a
  // smaller one keep living in it (a strided depthwise convolution's output is short-lived: it may).
  const sizeFits = (i: Instance) => module.tokenOverwriting !== true || (bytes(out) === bytes(i) && sameRegion(i.region!, out.region!));
  const candidates = module.overwrites.map((k) => inputs[k]).filter((i): i is Instance => i !== undefined && !i.taken && i.key !== outputKey && sizeFits(i));
  if (out.writers === 1) return candidates.find((i) => i.last === step);
  return tokenOverwriting ? candidates.find((i) => overwritable(i, out)) : undefined;
}

const intersects = (a: Region, b: Region) => a.y0 < b.y1 && b.y0 < a.y1 && a.x0 < b.x1 && b.x0 < a.x1;
const sameRegion = (a: Region, b: Region) => a.y0 === b.y0 && a.y1 === b.y1 && a.x0 === b.x0 && a.x1 === b.x1;

/**
 * Whether `out`, a tensor filled region by region, may be written over `input` as it goes (token
 * overwriting across calls: each block's output tokens over the input tokens that block consumed):
 * both hold the same region of tensors with one byte layout, `input` is complete before `out`'s
 * first write, and nothing reads a region of `input` after a write of `out` has landed on it.
 */
function overwritable(input: Instance, out: Instance): boolean {
  if (!sameRegion(input.region!, out.region!)) return false;
  const firstWrite = Math.min(...out.writes.map((w) => w.step));
  if (input.writes.some((w) => w.step >= firstWrite)) return false;
  return out.writes.every((w) => input.reads.every((r) => r.step <= w.step || !intersects(r.region, w.region)));
}

/** The region of input `k` an op reads to compute `out` (taps outside the input are padding). */
function readRegion(model: Model, op: Op, k: number, out: Region): Region {
  const module = opModule(op);
  const [h, w] = model.tensors[op.inputs[k]!]!.shape;
  const rows = module.inputSpan(op, k, 0, { lo: out.y0, hi: out.y1 }, h, true);
  const cols = module.inputSpan(op, k, 1, { lo: out.x0, hi: out.x1 }, w, true);
  return { y0: rows.lo, y1: rows.hi, x0: cols.lo, x1: cols.hi };
}

export interface AllocateOptions {
  /** Let per-token operators write over their input (their modules' `tokenOverwriting`). */
  readonly tokenOverwriting?: boolean;
}

export function allocatePlan(
  model: Model,
  schedule: ScheduleName,
  options: Readonly<Record<string, number>>,
  calls: readonly Call[],
  paperPeakBytes: number | null,
  { tokenOverwriting = false }: AllocateOptions = {},
): Plan {
  const instances = new Map<string, Instance>();
  const instance = (key: string, tensor: number) => {
    let i = instances.get(key);
    if (i === undefined) {
      i = { key, tensor, region: undefined, writers: 0, first: Infinity, last: -1, group: undefined, reads: [], writes: [], over: undefined, taken: false };
      instances.set(key, i);
    } else if (i.tensor !== tensor) throw new Error(`plan: instance ${key} holds tensors ${i.tensor} and ${tensor}`);
    return i;
  };
  const outputKey = `${model.output}`;
  // Pass 1: every instance's region (the union of what its writers compute) and lifetime.
  const read = (key: string, tensor: number, step: number, who: string, region: Region) => {
    const i = instances.get(key);
    if (i === undefined || i.tensor !== tensor) throw new Error(`plan: ${who} reads ${key} before it is written`);
    i.last = Math.max(i.last, step);
    i.reads.push({ step, region });
  };
  const write = (key: string, tensor: number, region: Region, step: number) => {
    const i = instance(key, tensor);
    i.region = union(i.region, region);
    i.writers++;
    i.writes.push({ step, region });
    i.first = Math.min(i.first, step);
    i.last = Math.max(i.last, step);
  };
  calls.forEach((call, step) => {
    switch (call.kind) {
      case 'load':
        return write(call.instance, model.input, call.region, step);
      case 'copy':
        read(call.from, call.tensor, step, `copy to ${call.to}`, call.region);
        return write(call.to, call.tensor, call.region, step);
      case 'op': {
        const op = model.ops[call.op]!;
        op.inputs.forEach((t, k) => read(call.inInstances[k]!, t, step, op.name, readRegion(model, op, k, call.region)));
        return write(call.outInstance, op.output, call.region, step);
      }
    }
  });
  const modelOutput = instances.get(outputKey);
  if (modelOutput === undefined) throw new Error('plan: nothing writes the model output');
  // The output is read (CRC) after the last step.
  modelOutput.last = calls.length;

  const bytes = (i: Instance) => regionPixels(i.region!) * model.tensors[i.tensor]!.shape[2];
  const groups: Group[] = [];
  const newGroup = (i: Instance) => {
    const g: Group = { instances: [i], sizeBytes: bytes(i), first: i.first, last: i.last };
    groups.push(g);
    i.group = g;
  };
  // Pass 2: buffers, in-place rewrites and scratch.
  const scratch: (Interval | null)[] = [];
  const inPlace: boolean[] = [];
  calls.forEach((call, step) => {
    if (call.kind !== 'op') {
      const i = instances.get(call.kind === 'load' ? call.instance : call.to)!;
      if (i.group === undefined) newGroup(i);
      scratch.push(null);
      inPlace.push(false);
      return;
    }
    const op = model.ops[call.op]!;
    const inputs = call.inInstances.map((k) => instances.get(k)!);
    const out = instances.get(call.outInstance)!;
    if (out.group === undefined) {
      const over = inPlaceInput(op, inputs, out, step, outputKey, tokenOverwriting, bytes);
      if (over === undefined) {
        newGroup(out);
      } else {
        const g = over.group!;
        g.instances.push(out);
        g.sizeBytes = Math.max(g.sizeBytes, bytes(out));
        g.last = Math.max(g.last, out.last);
        out.group = g;
        out.over = over;
        // Still read after this step: nothing else may be written over it.
        if (over.last > step) over.taken = true;
      }
    }
    // Every call writing `out` over an input it reads runs in place (a later block of a tensor
    // filled block by block too); one that reads it otherwise could not share the buffer.
    const over = out.over;
    const k = over === undefined ? -1 : inputs.indexOf(over);
    const here = k >= 0 && opModule(op).overwrites.includes(k);
    inPlace.push(here);
    const scratchBytes = here ? opModule(op).inPlaceScratchBytes(op, regionPixels(over!.region!)) : 0;
    scratch.push(scratchBytes > 0 ? { sizeBytes: scratchBytes, first: step, last: step } : null);
  });

  const intervals: Interval[] = [...groups, ...scratch.filter((s): s is Interval => s !== null)];
  const { offsets, peakBytes } = placeBuffers(intervals);
  const buffers: Buffer[] = groups.map((g, k) => ({
    tensors: [...new Set(g.instances.map((i) => i.tensor))],
    name: [...new Set(g.instances.map((i) => i.key.replace(/^\d+/, (t) => model.tensors[Number(t)]!.name)))].join('+'),
    role: g.instances[0]!.key.includes('#') ? 'stream' : 'tensor',
    sizeBytes: g.sizeBytes,
    offset: offsets[k]!,
    first: g.first,
    last: g.last,
  }));
  const bufferOfGroup = new Map(groups.map((g, k) => [g, buffers[k]!]));
  const slot = (i: Instance): Slot => ({ tensor: i.tensor, region: i.region!, buffer: bufferOfGroup.get(i.group!)! });
  let next = groups.length;
  const steps: Step[] = calls.map((call, step) => {
    if (call.kind === 'load')
      return { kind: 'load', name: `load_input${call.instance.slice(`${model.input}`.length)}`, output: slot(instances.get(call.instance)!) };
    if (call.kind === 'copy') {
      const name = `copy ${model.tensors[call.tensor]!.name}: ${call.from} -> ${call.to}`;
      return { kind: 'copy', name, region: call.region, input: slot(instances.get(call.from)!), output: slot(instances.get(call.to)!) };
    }
    const op = model.ops[call.op]!;
    const s = scratch[step];
    let scratchBuffer: Buffer | null = null;
    if (s) {
      scratchBuffer = {
        tensors: [],
        name: `${op.name}${call.suffix}_scratch`,
        role: 'scratch',
        sizeBytes: s.sizeBytes,
        offset: offsets[next++]!,
        first: step,
        last: step,
      };
      buffers.push(scratchBuffer);
    }
    return {
      kind: 'op',
      op: call.op,
      name: op.name + call.suffix,
      region: call.region,
      macs: regionPixels(call.region) * macsPerOutputPixel(model, op),
      inputs: call.inInstances.map((k) => slot(instances.get(k)!)),
      output: slot(instances.get(call.outInstance)!),
      inPlace: inPlace[step]!,
      scratch: scratchBuffer,
    };
  });
  return {
    model,
    schedule,
    options,
    buffers,
    steps,
    arenaBytes: peakBytes,
    liveBytesBound: liveBytesBound(intervals),
    macs: steps.filter(isOp).reduce((sum, st) => sum + st.macs, 0),
    paperPeakBytes,
  };
}

/** The buffer that holds the model's output after the last step. */
export function outputSlot(plan: Plan): Slot {
  for (let i = plan.steps.length - 1; i >= 0; i--) {
    const s = plan.steps[i]!;
    if (s.kind === 'op' && s.output.tensor === plan.model.output) return s.output;
  }
  throw new Error('plan: nothing writes the model output');
}

function isOp(step: Step): step is OpStep {
  return step.kind === 'op';
}

export const opSteps = (plan: Plan): OpStep[] => plan.steps.filter(isOp);

/** "layer", or "patch 2×2 split 3": a schedule with the options that shaped it. */
export function scheduleLabel(schedule: string, options: Readonly<Record<string, number>>): string {
  const { patches, split, ...rest } = options;
  const parts = [schedule];
  if (patches !== undefined) parts.push(`${patches}×${patches}`);
  if (split !== undefined) parts.push(`split ${split}`);
  for (const [k, v] of Object.entries(rest)) parts.push(`${k} ${v}`);
  return parts.join(' ');
}
