// A symbolic run of a plan: every arena byte is tagged with the tensor element last written to it,
// and every read checks that the element it needs is still there. It proves a plan's layout
// (offsets, lifetimes, in-place rewrites, regions) without computing a single value. Pure.
import type { Model } from '../model/ir.js';
import { inputRegion } from './patch.js';
import { fullRegion, outputSlot, type Plan, type Region, type Slot } from './plan.js';

const GARBAGE = -1;

/** Returns what is wrong with the plan, or an empty list; stops at the first few problems. */
export function checkPlan(plan: Plan): string[] {
  const model: Model = plan.model;
  const problems: string[] = [];
  const arena = new Int32Array(plan.arenaBytes).fill(GARBAGE);
  const base: number[] = [];
  let next = 0;
  for (const t of model.tensors) {
    base.push(next);
    next += t.shape[0] * t.shape[1] * t.shape[2];
  }
  const tag = (t: number, y: number, x: number, c: number) => {
    const [, w, ch] = model.tensors[t]!.shape;
    return base[t]! + (y * w + x) * ch + c;
  };
  /** Calls f(arena index, y, x, c) for every byte of `region` of the slot's tensor. */
  const each = (slot: Slot, region: Region, what: string, f: (i: number, y: number, x: number, c: number) => void) => {
    const v = slot.region;
    if (region.y0 < v.y0 || region.y1 > v.y1 || region.x0 < v.x0 || region.x1 > v.x1) {
      problems.push(`${what}: region [${region.y0},${region.y1})×[${region.x0},${region.x1}) lies outside the buffer's [${v.y0},${v.y1})×[${v.x0},${v.x1})`);
      return;
    }
    const ch = model.tensors[slot.tensor]!.shape[2];
    const vw = v.x1 - v.x0;
    for (let y = region.y0; y < region.y1; y++)
      for (let x = region.x0; x < region.x1; x++)
        for (let c = 0; c < ch; c++) {
          const rel = ((y - v.y0) * vw + (x - v.x0)) * ch + c;
          if (rel >= slot.buffer.sizeBytes) {
            problems.push(`${what}: byte ${rel} is past the end of buffer ${slot.buffer.name} (${slot.buffer.sizeBytes} B)`);
            return;
          }
          f(slot.buffer.offset + rel, y, x, c);
        }
  };
  const read = (slot: Slot, region: Region, what: string) =>
    each(slot, region, what, (i, y, x, c) => {
      if (arena[i] !== tag(slot.tensor, y, x, c) && problems.length < 10) {
        problems.push(`${what}: ${model.tensors[slot.tensor]!.name}[${y},${x},${c}] at arena byte ${i} was overwritten`);
      }
    });
  const write = (slot: Slot, region: Region, what: string) => each(slot, region, what, (i, y, x, c) => (arena[i] = tag(slot.tensor, y, x, c)));

  for (const step of plan.steps) {
    if (problems.length > 0) break;
    if (step.kind === 'load') {
      write(step.output, step.output.region, step.name);
      continue;
    }
    if (step.kind === 'copy') {
      if (step.input.tensor !== step.output.tensor) problems.push(`${step.name}: copies tensor ${step.input.tensor} into ${step.output.tensor}`);
      read(step.input, step.region, `${step.name} reads`);
      write(step.output, step.region, `${step.name} writes`);
      continue;
    }
    const op = model.ops[step.op]!;
    // Scratch first: an in-place depthwise copies each channel there before reading it.
    if (step.scratch !== null) arena.fill(GARBAGE, step.scratch.offset, step.scratch.offset + step.scratch.sizeBytes);
    op.inputs.forEach((t, k) => {
      const slot = step.inputs[k]!;
      if (slot.tensor !== t) problems.push(`${step.name}: input ${k} is ${slot.tensor}, expected tensor ${t}`);
      else read(slot, inputRegion(model, op, k, step.region), `${step.name} reads`);
    });
    write(step.output, step.region, `${step.name} writes`);
  }
  if (problems.length === 0) read(outputSlot(plan), fullRegion(model, model.output), 'the output after the last step');
  return problems;
}
