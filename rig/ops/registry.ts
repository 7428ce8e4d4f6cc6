// The operator registry: every operator kind rig knows, and the one place that picks a module by
// kind. To add an operator, write its module (see contract.ts and docs/operators.md) and list it
// here; the planner, the schedules, the reference interpreter and the code generator then know it.
import type { OpModule } from './contract.js';
import { add, type AddOp } from './add.js';
import { avgpool, type AvgPoolOp } from './avgpool.js';
import { avgpool2d, type AvgPool2dOp } from './avgpool2d.js';
import { context, type ContextOp } from './context.js';
import { conv2d, type Conv2dOp } from './conv2d.js';
import { dwconv2d, type DwConv2dOp } from './dwconv2d.js';
import { embed, type EmbedOp } from './embed.js';
import { fc, type FcOp } from './fc.js';
import { geluOp, type GeluOp } from './gelu.js';
import { layernorm, type LayerNormOp } from './layernorm.js';
import { linear, type LinearOp } from './linear.js';
import { mean, type MeanOp } from './mean.js';
import { scores, type ScoresOp } from './scores.js';
import { softmax, type SoftmaxOp } from './softmax.js';
import { token, type TokenOp } from './token.js';

export type Op =
  | Conv2dOp
  | DwConv2dOp
  | AddOp
  | AvgPoolOp
  | AvgPool2dOp
  | MeanOp
  | FcOp
  | SoftmaxOp
  | EmbedOp
  | LayerNormOp
  | LinearOp
  | ScoresOp
  | ContextOp
  | GeluOp
  | TokenOp;
export type OpKind = Op['kind'];
export type {
  AddOp,
  AvgPool2dOp,
  AvgPoolOp,
  ContextOp,
  Conv2dOp,
  DwConv2dOp,
  EmbedOp,
  FcOp,
  GeluOp,
  LayerNormOp,
  LinearOp,
  MeanOp,
  ScoresOp,
  SoftmaxOp,
  TokenOp,
};

const OPS: { readonly [K in OpKind]: OpModule<Extract<Op, { kind: K }>> } = {
  conv2d,
  dwconv2d,
  add,
  avgpool,
  avgpool2d,
  mean,
  fc,
  softmax,
  embed,
  layernorm,
  linear,
  scores,
  context,
  gelu: geluOp,
  token,
};

export const OP_KINDS = Object.keys(OPS) as readonly OpKind[];

/** The module of an op's kind. */
export function opModule<O extends Op>(op: O): OpModule<O> {
  const module = OPS[op.kind as OpKind] as OpModule<Op> | undefined;
  if (module === undefined) throw new Error(`ops: no operator module for kind ${JSON.stringify(op.kind)}`);
  return module as unknown as OpModule<O>;
}

/** Every registered module, for listings and tests. */
export function opModules(): readonly OpModule<Op>[] {
  return OP_KINDS.map((k) => OPS[k] as unknown as OpModule<Op>);
}
