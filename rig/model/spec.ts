// The model spec a user writes by hand: {"name", "input": [H, W, C], "blocks": [...]}.
// Parsed with a schema, then checked block by block against the shapes it produces; every problem
// is reported with its path in the file.
import { z } from 'zod';
import { ValidationError } from '../util/errors.js';
import { schemaIssues } from '../util/schema.js';

const positiveInt = z.number().int().positive();
const activation = z.enum(['relu', 'relu6', 'none']);
const stride = z.union([z.literal(1), z.literal(2)]);

const conv2dBlock = z.strictObject({
  type: z.literal('conv2d'),
  out: positiveInt,
  k: positiveInt,
  stride: stride.default(1),
  pad: z.number().int().nonnegative().optional(),
  act: activation.default('relu'),
});
const dwconv2dBlock = z.strictObject({
  type: z.literal('dwconv2d'),
  k: positiveInt,
  stride: stride.default(1),
  pad: z.number().int().nonnegative().optional(),
  act: activation.default('relu'),
});
/** Without `k` the global pool; with it a k×k pool, `stride` (default k) and `pad` (default 0: VALID). */
const avgpoolBlock = z.strictObject({
  type: z.literal('avgpool'),
  k: positiveInt.optional(),
  stride: positiveInt.optional(),
  pad: z.number().int().nonnegative().optional(),
});
const softmaxBlock = z.strictObject({ type: z.literal('softmax'), beta: z.number().positive().default(1) });
const fcBlock = z.strictObject({ type: z.literal('fc'), out: positiveInt, act: activation.default('none') });
/** MobileNetV2 / ProxylessNAS inverted residual: [1×1 expand] → k×k depthwise → 1×1 project [+ add]. */
const mbconvBlock = z.strictObject({
  type: z.literal('mbconv'),
  expand: z.number().positive(),
  out: positiveInt,
  k: positiveInt,
  stride: stride.default(1),
  mid: positiveInt.optional(),
  act: activation.default('relu6'),
});

const block = z.discriminatedUnion('type', [conv2dBlock, dwconv2dBlock, avgpoolBlock, fcBlock, mbconvBlock, softmaxBlock]);

export const modelSpecSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a name of letters, digits, "_", "." and "-"'),
  input: z.tuple([positiveInt, positiveInt, positiveInt]),
  blocks: z.array(block).min(1),
});

export type ModelSpec = z.output<typeof modelSpecSchema>;
export type BlockSpec = ModelSpec['blocks'][number];
export type ModelSpecInput = z.input<typeof modelSpecSchema>;

/** Validates a parsed JSON value as a model spec; `file` names it in every error. */
export function parseModelSpec(value: unknown, file: string): ModelSpec {
  const result = modelSpecSchema.safeParse(value);
  if (!result.success) throw new ValidationError(file, schemaIssues(result.error, value));
  return result.data;
}
