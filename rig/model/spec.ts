// The model spec a user writes by hand: {"name", "input": [H, W, C], "blocks": [...]}.
// Parsed with a schema, then checked block by block against the shapes it produces; every problem
// is reported with its path in the file.
import { z } from 'zod';
import { ValidationError } from '../util/errors.js';
import { formatInt } from '../util/format.js';
import { SPEC_LIMITS } from '../util/limits.js';
import { schemaIssues } from '../util/schema.js';

const positiveInt = z.number().int().positive();
const channels = positiveInt.max(SPEC_LIMITS.channels);
const kernel = positiveInt.max(SPEC_LIMITS.kernel);
const padding = z
  .number()
  .int()
  .nonnegative()
  .max(SPEC_LIMITS.kernel - 1);
const side = positiveInt.max(SPEC_LIMITS.side);
const activation = z.enum(['relu', 'relu6', 'none']);
const stride = z.union([z.literal(1), z.literal(2)]);

const conv2dBlock = z.strictObject({
  type: z.literal('conv2d'),
  out: channels,
  k: kernel,
  stride: stride.default(1),
  pad: padding.optional(),
  act: activation.default('relu'),
});
const dwconv2dBlock = z.strictObject({
  type: z.literal('dwconv2d'),
  k: kernel,
  stride: stride.default(1),
  pad: padding.optional(),
  act: activation.default('relu'),
});
/** Without `k` the global pool; with it a k×k pool, `stride` (default k) and `pad` (default 0: VALID). */
const avgpoolBlock = z.strictObject({
  type: z.literal('avgpool'),
  k: kernel.optional(),
  stride: kernel.optional(),
  pad: padding.optional(),
});
const softmaxBlock = z.strictObject({ type: z.literal('softmax'), beta: z.number().positive().default(1) });
const fcBlock = z.strictObject({ type: z.literal('fc'), out: channels, act: activation.default('none') });
/** MobileNetV2 / ProxylessNAS inverted residual: [1×1 expand] → k×k depthwise → 1×1 project [+ add]. */
const mbconvBlock = z.strictObject({
  type: z.literal('mbconv'),
  expand: z.number().positive().max(SPEC_LIMITS.expand),
  out: channels,
  k: kernel,
  stride: stride.default(1),
  mid: channels.optional(),
  act: activation.default('relu6'),
});

/** A vision transformer's patch embedding: a k = stride = `patch` convolution to `dim` channels, then the class token and positional embedding. */
const patchembedBlock = z.strictObject({
  type: z.literal('patchembed'),
  patch: positiveInt.max(SPEC_LIMITS.patch),
  dim: channels,
});
/**
 * A pre-norm transformer encoder layer: LayerNorm → multi-head self-attention → add → LayerNorm →
 * MLP (GELU) → add. With `rank` ρ every linear (qkv, projection, fc1, fc2) is low-rank: in→r
 * (no bias), r→r (no bias), r→out (bias), r = ⌊min(in, out)·ρ⌋ (MCUFormer).
 */
const encoderBlock = z.strictObject({
  type: z.literal('encoder'),
  heads: positiveInt.max(64),
  mlp: z.number().positive().max(SPEC_LIMITS.expand).default(4),
  rank: z.number().positive().max(1).optional(),
});
/** The class token's LayerNorm and a linear classifier. */
const classifierBlock = z.strictObject({ type: z.literal('classifier'), out: channels });

const block = z.discriminatedUnion('type', [
  conv2dBlock,
  dwconv2dBlock,
  avgpoolBlock,
  fcBlock,
  mbconvBlock,
  softmaxBlock,
  patchembedBlock,
  encoderBlock,
  classifierBlock,
]);

export const modelSpecSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a name of letters, digits, "_", "." and "-"'),
  input: z.tuple([side, side, channels]).check((ctx) => {
    const [h, w, c] = ctx.value;
    if (h * w * c > SPEC_LIMITS.tensorBytes) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `expected an input of at most ${formatInt(SPEC_LIMITS.tensorBytes)} bytes (H × W × C), found ${h} × ${w} × ${c} = ${formatInt(h * w * c)}`,
      });
    }
  }),
  blocks: z.array(block).min(1).max(SPEC_LIMITS.blocks),
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
