// MCUFormer's memory schedule for vision transformers (Liang et al., NeurIPS 2023), its three
// techniques each switchable so that what each saves can be measured on its own:
// - patch embedding decomposition: the first op (the patch embedding, reading the image) computed
//   one row of patches at a time, from the band of image rows that row reads, copied in for it;
//   the whole image never sits in SRAM;
// - operator integration: a chain of operators in which each reads the previous one's output,
//   that output read by it alone and row for row (attention's scores → softmax → ·V → projection
//   → residual add; LayerNorm → the MLP's linears and GELU → add; LayerNorm → the qkv linears)
//   runs a block of `rows` token rows at a time: the chain's inner tensors exist only for the
//   block (never a T×T score matrix, never the whole MLP hidden layer); the tensors it reads
//   whole (the keys and values, the residual) are complete before it starts;
// - token overwriting: per-token operators write each output token over the input token they
//   consumed, with one token's scratch (allocatePlan's in-place rewrites of the modules that
//   declare `tokenOverwriting`), within a block and across blocks (a residual add's output
//   written over the residual it reads, block after block).
// Everything else runs whole, as layer-wise. Pure.
import { hasTokenOperators, type Model, type Op, type TransformerArchitecture } from '../model/ir.js';
import { opModule } from '../ops/registry.js';
import { layerwiseCalls } from './layerwise.js';
import { allocatePlan, fullRegion, type Call, type Plan } from './plan.js';
import { PlanRefusal } from './refusal.js';

export interface McuformerOptions {
  /** Token rows per block of an integrated chain. */
  readonly rows: number;
  readonly decompose: boolean;
  readonly integrate: boolean;
  readonly overwrite: boolean;
}

/** In the order the summary adds them to layer-wise: the peak moves to the image last. */
export const MCUFORMER_TECHNIQUES = ['integrate', 'overwrite', 'decompose'] as const;
export type McuformerTechnique = (typeof MCUFORMER_TECHNIQUES)[number];

/** Rows per block unless asked otherwise: small enough to keep a block's tensors a few KB. */
export const DEFAULT_TOKEN_ROWS = 8;

/** Whether input `k` of `op` is read row for row: output rows [lo, hi) read input rows [lo, hi). */
function rowLocal(model: Model, op: Op, k: number): boolean {
  const module = opModule(op);
  if (module.wholeTensor !== null) return false;
  const size = model.tensors[op.inputs[k]!]!.shape[0];
  if (model.tensors[op.output]!.shape[0] !== size) return false;
  const probes = [
    { lo: 0, hi: 1 },
    { lo: size - 1, hi: size },
    { lo: 0, hi: size },
  ];
  return probes.every((span) => {
    const got = module.inputSpan(op, k, 0, span, size, true);
    return got.lo === span.lo && got.hi === span.hi;
  });
}

/**
 * The chains operator integration runs block by block, as lists of op indices: each op after
 * the first reads the op before it, whose output nothing else reads, row for row.
 */
export function integratedChains(model: Model): number[][] {
  const readers = new Map<number, number>();
  for (const op of model.ops) for (const t of new Set(op.inputs)) readers.set(t, (readers.get(t) ?? 0) + 1);
  const chains: number[][] = [];
  let chain: number[] = [];
  model.ops.forEach((op, i) => {
    const prev = chain.length > 0 ? model.ops[chain[chain.length - 1]!]! : undefined;
    const links =
      prev !== undefined &&
      prev.output !== model.output &&
      readers.get(prev.output) === 1 &&
      op.inputs.some((t, k) => t === prev.output && rowLocal(model, op, k)) &&
      op.inputs.every((t, k) => t !== prev.output || rowLocal(model, op, k));
    if (links) {
      chain.push(i);
      return;
    }
    if (chain.length > 1) chains.push(chain);
    chain = opModule(op).wholeTensor === null ? [i] : [];
  });
  if (chain.length > 1) chains.push(chain);
  return chains;
}

/** The calls of a chain, `rows` rows of its last op's output at a time; inner tensors per block. */
function chainCalls(model: Model, chain: readonly number[], rows: number): Call[] {
  const inner = new Set(chain.slice(0, -1).map((i) => model.ops[i]!.output));
  const last = model.ops[chain[chain.length - 1]!]!;
  const [t] = model.tensors[last.output]!.shape;
  const calls: Call[] = [];
  for (let lo = 0, b = 0; lo < t; lo += rows, b++) {
    const hi = Math.min(t, lo + rows);
    const key = (tensor: number) => (inner.has(tensor) ? `${tensor}@t${b}` : `${tensor}`);
    for (const i of chain) {
      const op = model.ops[i]!;
      const width = model.tensors[op.output]!.shape[1];
      calls.push({
        kind: 'op',
        op: i,
        region: { y0: lo, y1: hi, x0: 0, x1: width },
        outInstance: key(op.output),
        inInstances: op.inputs.map(key),
        suffix: `@t${b}`,
      });
    }
  }
  return calls;
}

/**
 * The first op row of outputs by row, each from the band of input rows it reads, copied in for
 * it; null when the first op does not read the model input alone or needs it whole.
 */
function decomposedCalls(model: Model): Call[] | null {
  const op = model.ops[0]!;
  const module = opModule(op);
  if (module.wholeTensor !== null || op.inputs.length !== 1 || op.inputs[0] !== model.input) return null;
  const [h, w] = model.tensors[op.output]!.shape;
  const [inH, inW] = model.tensors[model.input]!.shape;
  const calls: Call[] = [];
  for (let y = 0; y < h; y++) {
    const rowsIn = module.inputSpan(op, 0, 0, { lo: y, hi: y + 1 }, inH, true);
    const colsIn = module.inputSpan(op, 0, 1, { lo: 0, hi: w }, inW, true);
    const band = `${model.input}@r${y}`;
    calls.push({ kind: 'load', region: { y0: rowsIn.lo, y1: rowsIn.hi, x0: colsIn.lo, x1: colsIn.hi }, instance: band });
    calls.push({ kind: 'op', op: 0, region: { y0: y, y1: y + 1, x0: 0, x1: w }, outInstance: `${op.output}`, inInstances: [band], suffix: `@r${y}` });
  }
  return calls;
}

/**
 * MCUFormer's search metric, D·[(N+1)(1+m) + D·m·ρ]: what its architecture search keeps under
 * 320 KB. A formula of the hyper-parameters, not an arena.
 */
export function mcuformerMetric(a: TransformerArchitecture): number {
  return Math.round(a.dim * ((a.patches + 1) * (1 + a.mlp) + a.dim * a.mlp * a.rank));
}

export function planMcuformer(model: Model, options: McuformerOptions): Plan {
  const { rows } = options;
  if (!Number.isInteger(rows) || rows < 1 || rows > 65535) throw new PlanRefusal('rows', rows, 'expected a whole number of token rows from 1 to 65535');
  if (!hasTokenOperators(model))
    throw new PlanRefusal('schedule', 'mcuformer', `${model.name} has no token operators: the mcuformer schedule is for vision transformers`);
  const calls: Call[] = [];
  const decomposed = options.decompose ? decomposedCalls(model) : null;
  if (decomposed === null) calls.push({ kind: 'load', region: fullRegion(model, model.input), instance: `${model.input}` });
  else calls.push(...decomposed);
  const chains = options.integrate ? integratedChains(model) : [];
  const chainOf = new Map(chains.map((c) => [c[0]!, c] as const));
  for (let i = decomposed === null ? 0 : 1; i < model.ops.length;) {
    const chain = chainOf.get(i);
    if (chain === undefined) {
      calls.push(...layerwiseCalls(model, [i]));
      i++;
    } else {
      calls.push(...chainCalls(model, chain, rows));
      i = chain[chain.length - 1]! + 1;
    }
  }
  const recorded: Record<string, number> = { rows };
  for (const technique of MCUFORMER_TECHNIQUES) if (!options[technique]) recorded[technique] = 0;
  return allocatePlan(model, 'mcuformer', recorded, calls, null, { tokenOverwriting: options.overwrite });
}
