import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModel } from '../config/model.js';
import { mcuformerMetric } from '../schedule/mcuformer.js';
import { ValidationError } from '../util/errors.js';
import { checkModel, modelMacs, opParams, type LinearOp, type Model } from './ir.js';
import { lowerModel } from './lower.js';
import { parseModelSpec, type ModelSpecInput } from './spec.js';
import { TINY_VIT } from './testing.js';

const lower = (spec: ModelSpecInput) => lowerModel(parseModelSpec(spec, 'vit.json'), 1, 'vit.json');
const problems = (spec: ModelSpecInput): string[] => {
  try {
    lower(spec);
  } catch (e) {
    if (e instanceof ValidationError) return e.message.split('\n').map((line) => line.replace(/^vit\.json: /, ''));
    throw e;
  }
  return [];
};
const withBlocks = (...blocks: ModelSpecInput['blocks']): ModelSpecInput => ({ ...TINY_VIT, blocks });

test('a transformer spec lowers to patch embedding, encoders and classifier, every op passing its checks', () => {
  const model = lower(TINY_VIT);
  assert.deepEqual(checkModel(model), []);
  assert.deepEqual(
    model.ops.filter((op) => op.block === 1).map((op) => `${op.kind} ${op.name}`),
    [
      'layernorm b1_ln1',
      'linear b1_qkv',
      'scores b1_scores',
      'softmax b1_softmax',
      'context b1_context',
      'linear b1_proj',
      'add b1_add1',
      'layernorm b1_ln2',
      'linear b1_fc1',
      'gelu b1_gelu',
      'linear b1_fc2',
      'add b1_add2',
    ],
  );
  // 19×17 with 4×4 patches: a 4×4 grid, 16 patches and the class token.
  const tokens = model.tensors.find((t) => t.name === 'b0_patchembed_tokens')!;
  assert.deepEqual(tokens.shape, [17, 1, 15]);
  assert.deepEqual(model.tensors.find((t) => t.name === 'b1_scores')!.shape, [17, 3, 17]);
  assert.deepEqual(model.tensors[model.output]!.shape, [1, 1, 7]);
  // Low rank ρ 0.6: every linear is in→r (no bias), r→r (no bias), r→out (bias), r = ⌊min(in, out)·ρ⌋.
  const fc1 = model.ops.filter((op): op is LinearOp => op.kind === 'linear' && op.name.startsWith('b2_fc1'));
  assert.deepEqual(
    fc1.map((op) => [op.name, op.outChannels, op.hasBias]),
    [
      ['b2_fc1_a', 9, false],
      ['b2_fc1_b', 9, false],
      ['b2_fc1_c', 30, true],
    ],
  );
  // Its encoders differ (MLP ratio, rank): no one set of hyper-parameters for MCUFormer's metric.
  assert.equal(model.architecture, undefined);
  const uniform = lower(withBlocks(TINY_VIT.blocks[0]!, TINY_VIT.blocks[1]!, TINY_VIT.blocks[1]!, TINY_VIT.blocks[3]!));
  assert.deepEqual(uniform.architecture, { dim: 15, patches: 16, mlp: 3, rank: 1, heads: 3, depth: 2 });
});

test("the zoo's transformers count the MACs and parameters their architecture gives, and MCUFormer's metric", async () => {
  // Per encoder: every linear's weights once per token, and Q·Kᵀ and A·V, T² · D each.
  const expected = (m: Model, d: number, t: number, linearWeights: number, p: number, classes: number) =>
    (t - 1) * p * p * 3 * d + m.architecture!.depth * (t * linearWeights + 2 * t * t * d) + d * classes;
  const vit = await loadModel('vit-d64-l4-r96-p8', 1);
  // qkv 64·192, proj 64·64, fc1 64·256, fc2 256·64.
  assert.equal(modelMacs(vit), expected(vit, 64, 145, 64 * 192 + 64 * 64 + 64 * 256 + 256 * 64, 8, 2));
  const big = await loadModel('mcuformer-d192-l12-r240-p16', 1);
  // r = ⌊192·0.4⌋ = 76 for every linear: in·r + r² + r·out.
  const lowRank = (i: number, o: number) => i * 76 + 76 * 76 + 76 * o;
  assert.equal(modelMacs(big), expected(big, 192, 226, lowRank(192, 576) + lowRank(192, 192) + lowRank(192, 768) + lowRank(768, 192), 16, 1000));
  assert.equal(modelMacs(big), 964_561_920);
  assert.equal(
    big.ops.reduce((s, op) => s + opParams(op), 0),
    3_493_480,
  );
  assert.deepEqual(big.architecture, { dim: 192, patches: 225, mlp: 4, rank: 0.4, heads: 3, depth: 12 });
  // The "about 275,900 B": 192·[226·5 + 192·4·0.4].
  assert.equal(mcuformerMetric(big.architecture!), 275_942);
});

test('a transformer spec that does not make sense is refused, each problem with its path', () => {
  const encoder = { type: 'encoder', heads: 3, mlp: 3 } as const;
  const embed = { type: 'patchembed', patch: 4, dim: 15 } as const;
  const classifier = { type: 'classifier', out: 7 } as const;
  assert.deepEqual(problems(withBlocks(encoder, classifier)), [
    'blocks[0].type: expected a patchembed block before encoder (it works on tokens; the tensor is a 19×17×3 image)',
  ]);
  assert.deepEqual(problems(withBlocks(embed, { type: 'conv2d', out: 4, k: 3 }, classifier)), [
    'blocks[1].type: expected encoder or classifier after a patchembed block (the tensor is a 17×15 token matrix), found conv2d',
  ]);
  assert.deepEqual(problems(withBlocks(embed, { type: 'encoder', heads: 4 }, classifier)), [
    'blocks[1].heads: expected a divisor of the embedding dimension 15, found 4',
  ]);
  assert.deepEqual(problems(withBlocks(embed, { type: 'encoder', heads: 3, rank: 0.05 }, classifier)), [
    'blocks[1].rank: expected a rank ratio that keeps at least 1 channel of 15, found 0.05',
  ]);
  assert.deepEqual(problems(withBlocks({ type: 'patchembed', patch: 18, dim: 8 }, classifier)), [
    'blocks[0].patch: expected a patch that fits the 19×17 input, found 18',
  ]);
  assert.throws(
    () => lower(withBlocks({ type: 'patchembed', patch: 65, dim: 8 }, classifier)),
    (e) => e instanceof ValidationError && /vit\.json: blocks\[0\]\.patch: .*64/.test(e.message),
  );
  assert.throws(
    () => lower(withBlocks(embed, { type: 'encoder', heads: 3, rank: 1.5 }, classifier)),
    (e) => e instanceof ValidationError && /vit\.json: blocks\[1\]\.rank: .*1/.test(e.message),
  );
});
