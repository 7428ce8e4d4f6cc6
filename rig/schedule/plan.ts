// A schedule plan: where every buffer lives in the one arena, when it is live, and what each step
// executes. Pure data, shared by the code generator, the tables and the store.
import type { Model } from '../model/ir.js';

export type ScheduleName = 'layer';

export interface Buffer {
  /** Tensors stored here; more than one when an op writes its output over its input. Empty for scratch. */
  readonly tensors: readonly number[];
  readonly name: string;
  readonly sizeBytes: number;
  readonly offset: number;
  /** Live from step `first` to step `last`, both included; step -1 is the input load. */
  readonly first: number;
  readonly last: number;
}

export interface Step {
  readonly op: number;
  readonly name: string;
  readonly macs: number;
  /** The op writes its output over one of its inputs. */
  readonly inPlace: boolean;
  /** Working memory the kernel needs during this step only. */
  readonly scratch: Buffer | null;
}

export interface Plan {
  readonly model: Model;
  readonly schedule: ScheduleName;
  readonly buffers: readonly Buffer[];
  readonly steps: readonly Step[];
  /** Bytes of arena the plan needs: the highest byte any buffer reaches. */
  readonly arenaBytes: number;
  /** The most bytes live at any one step: no layout of these buffers can need less. */
  readonly liveBytesBound: number;
  /** MACs the schedule executes (equal to the model's for layer-wise). */
  readonly macs: number;
}

export function bufferOf(plan: Plan, tensor: number): Buffer {
  const buffer = plan.buffers.find((b) => b.tensors.includes(tensor));
  if (buffer === undefined) throw new Error(`plan: tensor ${tensor} has no buffer`);
  return buffer;
}
