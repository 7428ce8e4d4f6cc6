// The attention operators and the token matrix's ends through the real compiler and QEMU, with
// both kernel variants: scores → softmax → context on a token matrix of queries, keys and values,
// whole and a block of query rows at a time (each block's scores and probabilities held for its
// rows only), and a patch grid → embed → token. Odd shapes: 1, 5 and 17
// tokens, head sizes 1, 5 and 8, one to three heads, a token matrix with a spare channel.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchCase } from '../bench/bench.js';
import { emulatedContext } from '../bench/testing.js';
import { REFERENCE_KERNELS, DEFAULT_KERNELS } from '../compile/kernels.js';
import { checkModel, type Model } from '../model/ir.js';
import { createPrng } from '../model/prng.js';
import { quantizeMultiplier } from '../model/quant.js';
import { checkPlan } from '../schedule/check.js';
import { planLayerwise } from '../schedule/layerwise.js';
import { allocatePlan, fullRegion, type Call, type Plan } from '../schedule/plan.js';
import { softmaxParams, SOFTMAX_OUTPUT } from './softmax.js';
import { tensorsOf } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-attention-'));

const context = (kernels: string) => emulatedContext(kernels, dir);

const random = (seed: number, n: number) => {
  const r = createPrng(seed, 1);
  return Int8Array.from({ length: n }, () => r.int(-128, 127));
};

/** qkv [t, 1, c] → scores → softmax → context; c = 3·heads·dh + spare, Q at `spare`, then K, then V; the scores ×scoresScale. */
function attention(name: string, t: number, heads: number, dh: number, spare = 0, scoresScale = 1 / (40 * dh)): Model {
  const hd = heads * dh;
  const c = 3 * hd + spare;
  const tensors = tensorsOf([[t, 1, c], 3], [[t, heads, t], -5], [[t, heads, t], SOFTMAX_OUTPUT.zeroPoint], [[t, 1, hd], 7]);
  const s = quantizeMultiplier(scoresScale);
  const cx = quantizeMultiplier(1 / 300);
  return {
    name,
    seed: 1,
    tensors,
    ops: [
      { kind: 'scores', name: 'scores', block: 0, inputs: [0], output: 1, heads, headDim: dh, qOffset: spare, kOffset: spare + hd, ...s },
      { kind: 'softmax', name: 'softmax', block: 0, inputs: [1], output: 2, ...softmaxParams(1, 1 / 16)! },
      { kind: 'context', name: 'context', block: 0, inputs: [2, 0], output: 3, heads, headDim: dh, vOffset: spare + 2 * hd, ...cx },
    ],
    input: 0,
    output: 3,
    inputData: random(t * 31 + heads * 7 + dh, t * c),
  };
}

/** The attention a block of `rows` query rows at a time: each block's scores and probabilities are its own buffers. */
function blockPlan(model: Model, rows: number): Plan {
  const t = model.tensors[0]!.shape[0];
  const heads = model.tensors[1]!.shape[1];
  const calls: Call[] = [{ kind: 'load', region: fullRegion(model, 0), instance: '0' }];
  for (let y0 = 0, b = 0; y0 < t; y0 += rows, b++) {
    const y1 = Math.min(t, y0 + rows);
    const block = { y0, y1, x0: 0, x1: heads };
    calls.push(
      { kind: 'op', op: 0, region: block, outInstance: `1@b${b}`, inInstances: ['0'], suffix: `_b${b}` },
      { kind: 'op', op: 1, region: block, outInstance: `2@b${b}`, inInstances: [`1@b${b}`], suffix: `_b${b}` },
      { kind: 'op', op: 2, region: { y0, y1, x0: 0, x1: 1 }, outInstance: '3', inInstances: [`2@b${b}`, '0'], suffix: `_b${b}` },
    );
  }
  return allocatePlan(model, 'layer', { rows }, calls, null, { tokenOverwriting: true });
}

/** A gh×gw×d patch grid → embed → token `index`. */
function embedding(name: string, gh: number, gw: number, d: number, index: number): Model {
  const tensors = tensorsOf([[gh, gw, d], -3], [[gh * gw + 1, 1, d], -3], [[1, 1, d], -3]);
  return {
    name,
    seed: 1,
    tensors,
    ops: [
      { kind: 'embed', name: 'embed', block: 0, inputs: [0], output: 1, classToken: random(d, d), position: random(gh * gw * d + 1, gh * gw * d) },
      { kind: 'token', name: 'token', block: 0, inputs: [1], output: 2, index },
    ],
    input: 0,
    output: 2,
    inputData: random(gh * gw * d, gh * gw * d),
  };
}

/** Patch grid → embed → token, whole; `overwriting`: with token overwriting allowed. */
function embeddingPlan(model: Model, overwriting: boolean): Plan {
  const calls: Call[] = [
    { kind: 'load', region: fullRegion(model, 0), instance: '0' },
    { kind: 'op', op: 0, region: fullRegion(model, 1), outInstance: '1', inInstances: ['0'], suffix: '' },
    { kind: 'op', op: 1, region: fullRegion(model, 2), outInstance: '2', inInstances: ['1'], suffix: '' },
  ];
  return allocatePlan(model, 'layer', {}, calls, null, { tokenOverwriting: overwriting });
}

async function runOk(plan: Plan, what: string): Promise<void> {
  assert.deepEqual(checkModel(plan.model), [], `${what}: the model's checks`);
  assert.deepEqual(checkPlan(plan), [], `${what}: the plan's symbolic check`);
  for (const kernels of [REFERENCE_KERNELS, DEFAULT_KERNELS]) {
    const row = await benchCase(await context(kernels), plan);
    assert.equal(row.status, 'ok', `${what} with ${kernels}: ${row.status}: ${row.detail ?? ''}`);
  }
}

test('scores, softmax and context on odd shapes, whole and a block of query rows at a time, bit-exact in both variants', async () => {
  const wide = attention('attn-t17-h3-d5', 17, 3, 5, 1);
  await runOk(planLayerwise(wide), 'T 17, 3 heads of 5, whole');
  await runOk(blockPlan(wide, 1), 'T 17, 3 heads of 5, blocks of 1 row');
  await runOk(blockPlan(wide, 5), 'T 17, 3 heads of 5, blocks of 5 rows');
  const mid = attention('attn-t5-h2-d8', 5, 2, 8);
  await runOk(planLayerwise(mid), 'T 5, 2 heads of 8, whole');
  await runOk(blockPlan(mid, 2), 'T 5, 2 heads of 8, blocks of 2 rows');
  // A scores scale above 1 (a left shift): the dsp kernel's other requantization.
  await runOk(planLayerwise(attention('attn-t1-h1-d1', 1, 1, 1, 0, 1.5)), 'T 1, 1 head of 1, whole, scores ×1.5');
  await runOk(blockPlan(attention('attn-t6-h1-d3', 6, 1, 3, 0, 1.5), 4), 'T 6, 1 head of 3, blocks of 4 rows, scores ×1.5');
});

test('a block plan holds only its rows of scores and probabilities, the softmax over the scores', () => {
  const plan = blockPlan(attention('attn-t17-h3-d5', 17, 3, 5, 1), 5);
  const softmaxSteps = plan.steps.filter((s) => s.kind === 'op' && s.op === 1);
  assert.equal(softmaxSteps.length, 4);
  for (const s of softmaxSteps) {
    assert.ok(s.kind === 'op' && s.inPlace, `${s.name}: expected in place`);
    assert.ok(
      s.kind === 'op' && s.output.region.y1 - s.output.region.y0 <= 5,
      `${s.name}: a buffer of ${s.kind === 'op' ? s.output.region.y1 - s.output.region.y0 : 0} rows`,
    );
  }
});

test('embed and token bit-exact in both variants; embed is never written over its grid, one token smaller', async () => {
  const grid = embedding('embed-3x5x17', 3, 5, 17, 15);
  assert.deepEqual(checkModel(grid), []);
  const overwriting = embeddingPlan(grid, true);
  assert.ok(!overwriting.steps.some((s) => s.kind === 'op' && s.op === 0 && s.inPlace));
  await runOk(overwriting, 'embed 3×5×17, token 15');
  await runOk(embeddingPlan(embedding('embed-1x1x3', 1, 1, 3, 0), false), 'embed 1×1×3, token 0');
});
