import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModel } from '../config/model.js';
import { tensorBytes, type Model } from '../model/ir.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec } from '../model/spec.js';
import { TINY_VIT } from '../model/testing.js';
import { TINY_CNN } from '../model/zoo.js';
import { checkPlan } from './check.js';
import { planLayerwise } from './layerwise.js';
import { integratedChains, MCUFORMER_TECHNIQUES, planMcuformer, type McuformerOptions } from './mcuformer.js';
import { opSteps, type Plan } from './plan.js';
import { PlanRefusal } from './refusal.js';

const tinyVit = (): Model => lowerModel(parseModelSpec(TINY_VIT, 'tiny-vit'), 3);
const ALL: Omit<McuformerOptions, 'rows'> = { decompose: true, integrate: true, overwrite: true };
const names = (model: Model, chain: readonly number[]) => chain.map((i) => model.ops[i]!.name);
/** The most bytes any buffer holding tensor `t` has. */
const heldBytes = (plan: Plan, t: number) => Math.max(0, ...plan.buffers.filter((b) => b.tensors.includes(t)).map((b) => b.sizeBytes));

test('operator integration finds the row-local chains of every encoder, from the operators alone', async () => {
  const vit = await loadModel('vit-d64-l4-r96-p8', 1);
  const chains = integratedChains(vit);
  assert.equal(chains.length, 3 * 4);
  assert.deepEqual(names(vit, chains[0]!), ['b1_ln1', 'b1_qkv']);
  assert.deepEqual(names(vit, chains[1]!), ['b1_scores', 'b1_softmax', 'b1_context', 'b1_proj', 'b1_add1']);
  assert.deepEqual(names(vit, chains[2]!), ['b1_ln2', 'b1_fc1', 'b1_gelu', 'b1_fc2', 'b1_add2']);
  const lowRank = await loadModel('vit-d96-l6-r160-p16', 1);
  assert.deepEqual(names(lowRank, integratedChains(lowRank)[1]!), ['b1_scores', 'b1_softmax', 'b1_context', 'b1_proj_a', 'b1_proj_b', 'b1_proj_c', 'b1_add1']);
  // In a CNN a pointwise convolution reads row for row too; a k×k one reads neighbouring rows.
  const cnn = lowerModel(parseModelSpec(TINY_CNN, 'tiny'), 1);
  assert.deepEqual(
    integratedChains(cnn).map((c) => names(cnn, c)),
    [['b1_dwconv2d', 'b2_conv2d']],
  );
});

test('every combination of the techniques, at several block sizes, passes the symbolic check and executes the layer-wise MACs', () => {
  const model = tinyVit();
  const layer = planLayerwise(model);
  assert.deepEqual(checkPlan(layer), []);
  for (const rows of [1, 3, 17, 100])
    for (let mask = 0; mask < 8; mask++) {
      const options = { rows, decompose: (mask & 1) !== 0, integrate: (mask & 2) !== 0, overwrite: (mask & 4) !== 0 };
      const plan = planMcuformer(model, options);
      assert.deepEqual(checkPlan(plan), [], JSON.stringify(options));
      assert.equal(plan.macs, layer.macs, JSON.stringify(options));
      assert.ok(plan.arenaBytes <= layer.arenaBytes + tensorBytes(model.tensors[model.input]!), JSON.stringify(options));
    }
});

test('integration holds a block of score rows, never the T×T matrix; decomposition a band of the image, never all of it', () => {
  const model = tinyVit();
  const scores = model.ops.find((op) => op.name === 'b1_scores')!.output;
  const [t, heads] = model.tensors[scores]!.shape;
  const layer = planLayerwise(model);
  assert.equal(heldBytes(layer, scores), t * heads * t);
  const plan = planMcuformer(model, { ...ALL, rows: 3 });
  assert.equal(heldBytes(plan, scores), 3 * heads * t);
  // The image, 19×17×3, comes in one band of 4 rows (a row of patches) at a time, of the 16 columns
  // the four patches of a row read.
  assert.equal(heldBytes(layer, model.input), 19 * 17 * 3);
  assert.equal(heldBytes(plan, model.input), 4 * 16 * 3);
  assert.equal(plan.steps.filter((s) => s.kind === 'load').length, 4);
});

test("token overwriting writes a residual add's output over the residual, block after block, and each block's tokens in place", () => {
  const model = tinyVit();
  const add = model.ops.findIndex((op) => op.name === 'b1_add2');
  const residual = model.ops[add]!.inputs[0]!;
  const output = model.ops[add]!.output;
  const shared = (plan: Plan) => plan.buffers.some((b) => b.tensors.includes(residual) && b.tensors.includes(output));
  const overwriting = planMcuformer(model, { ...ALL, rows: 5 });
  assert.ok(shared(overwriting));
  const steps = opSteps(overwriting).filter((s) => s.op === add);
  assert.equal(steps.length, 4); // 17 tokens in blocks of 5
  assert.ok(steps.every((s) => s.inPlace));
  // GELU and the projection write over their block's input; the layer-wise plan keeps them apart.
  // (The LayerNorm reads the residual, which the add still needs: it cannot.)
  for (const name of ['b1_gelu', 'b1_proj']) {
    const i = model.ops.findIndex((op) => op.name === name);
    assert.ok(
      opSteps(overwriting)
        .filter((s) => s.op === i)
        .every((s) => s.inPlace),
      name,
    );
    assert.ok(!opSteps(planLayerwise(model)).some((s) => s.op === i && s.inPlace), name);
  }
  assert.ok(!shared(planMcuformer(model, { ...ALL, overwrite: false, rows: 5 })));
  assert.ok(planMcuformer(model, { ...ALL, rows: 5 }).arenaBytes < planMcuformer(model, { ...ALL, overwrite: false, rows: 5 }).arenaBytes);
});

test('the schedule records the block size and the techniques left out, and refuses what it cannot plan', () => {
  const model = tinyVit();
  assert.deepEqual(planMcuformer(model, { ...ALL, rows: 8 }).options, { rows: 8 });
  assert.deepEqual(planMcuformer(model, { ...ALL, decompose: false, rows: 2 }).options, { rows: 2, decompose: 0 });
  assert.deepEqual(MCUFORMER_TECHNIQUES, ['integrate', 'overwrite', 'decompose']);
  for (const rows of [0, 1.5, -3])
    assert.throws(
      () => planMcuformer(model, { ...ALL, rows }),
      (e) => e instanceof PlanRefusal && e.field === 'rows' && e.value === rows && /expected a whole number of token rows from 1/.test(e.reason),
    );
  assert.throws(
    () => planMcuformer(lowerModel(parseModelSpec(TINY_CNN, 'tiny'), 1), { ...ALL, rows: 8 }),
    (e) =>
      e instanceof PlanRefusal && e.field === 'schedule' && /tiny-cnn has no token operators: the mcuformer schedule is for vision transformers/.test(e.reason),
  );
});
