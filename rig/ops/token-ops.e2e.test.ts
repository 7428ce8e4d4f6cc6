// The token operators' kernels (layernorm, linear, gelu) through the real compiler and QEMU, with
// the reference and dsp variants: chains like a transformer block's (layernorm, a low-rank qkv
// in→r→r→3C, GELU, a projection back) on odd shapes, layer-wise, with token overwriting (every
// op in place) and in row blocks of 1 and of several tokens. A row is `ok` when the device's
// output CRC is the reference interpreter's and its measured arena the plan's.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchCase } from '../bench/bench.js';
import { emulatedContext } from '../bench/testing.js';
import { checkModel, type Model, type Op } from '../model/ir.js';
import { createPrng } from '../model/prng.js';
import { quantizeMultiplier } from '../model/quant.js';
import { interpret } from '../model/reference.js';
import type { Requant, Tensor } from '../model/tensor.js';
import { checkPlan } from '../schedule/check.js';
import { layerwiseCalls, planLayerwise } from '../schedule/layerwise.js';
import { allocatePlan, fullRegion, type Call, type Plan } from '../schedule/plan.js';
import { geluTable } from './gelu.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-token-ops-'));

const context = (kernels: string) => emulatedContext(kernels, dir);

/** One step of a chain: a layernorm, a linear to `out` channels, or a GELU. */
type Layer =
  | { kind: 'layernorm'; clamp?: boolean; leftShift?: boolean }
  | { kind: 'linear'; out: number; bias: boolean; clamp?: boolean; leftShift?: boolean }
  | { kind: 'gelu' };

/**
 * A model of `tokens` × `c` input running `layers` in order, with seeded weights and scales that
 * keep the outputs spread over the int8 range (neither all zero nor all saturated).
 */
function chain(name: string, seed: number, tokens: number, c: number, layers: readonly Layer[]): Model {
  const r = createPrng(seed);
  const tensors: Tensor[] = [{ id: 0, name: 'x', shape: [tokens, 1, c], zeroPoint: r.int(-20, 20) }];
  const ops: Op[] = [];
  // leftShift: the scale as a small multiplier and a left shift of 10, whose accumulators the
  // dsp kernels' fast requantization does not cover (they take the reference arithmetic).
  const requant = (channels: number, scale: number, bias: (o: number) => number, clamp = false, leftShift = false): Requant => {
    const q = Array.from({ length: channels }, () => {
      const s = scale * (0.7 + 0.6 * r.float());
      return leftShift ? { multiplier: Math.round(s * 2 ** 21), shift: 10 } : quantizeMultiplier(s);
    });
    return {
      bias: Int32Array.from({ length: channels }, (_, o) => bias(o)),
      multiplier: Int32Array.from(q, (m) => m.multiplier),
      shift: Int32Array.from(q, (m) => m.shift),
      actMin: clamp ? -100 : -128,
      actMax: clamp ? 110 : 127,
    };
  };
  layers.forEach((layer, i) => {
    const input = tensors[tensors.length - 1]!;
    const inC = input.shape[2];
    const outC = layer.kind === 'linear' ? layer.out : inC;
    const output: Tensor = { id: tensors.length, name: `t${tensors.length}`, shape: [tokens, 1, outC], zeroPoint: r.int(-30, 30) };
    tensors.push(output);
    const base = { name: `l${i}_${layer.kind}`, block: i, inputs: [input.id], output: output.id };
    if (layer.kind === 'layernorm') {
      // n is about ±4096 per standard deviation; γ up to ±127: about 40 output steps per σ.
      const weights = Int8Array.from({ length: inC }, () => r.int(-127, 127));
      ops.push({
        kind: 'layernorm',
        ...base,
        weights,
        requant: requant(inC, 40 / (4096 * 64), () => r.int(-4096 * 32, 4096 * 32), layer.clamp, layer.leftShift),
      });
    } else if (layer.kind === 'linear') {
      // Inputs spread about ±74 steps, weights ±127 (σ 73): about 40 output steps per σ of the sum.
      const weights = Int8Array.from({ length: outC * inC }, () => r.int(-127, 127));
      const scale = 40 / (Math.sqrt(inC) * 74 * 73);
      const bias = (o: number) => (layer.bias ? r.int(-3000, 3000) * (o % 3) : 0);
      ops.push({ kind: 'linear', ...base, outChannels: outC, weights, requant: requant(outC, scale, bias, layer.clamp, layer.leftShift), hasBias: layer.bias });
    } else {
      ops.push({ kind: 'gelu', ...base, table: geluTable(0.04, input.zeroPoint, 0.03, output.zeroPoint) });
    }
  });
  const inputData = Int8Array.from({ length: tokens * c }, () => r.int(-128, 127));
  const model: Model = { name, seed, tensors, ops, input: 0, output: tensors.length - 1, inputData };
  assert.deepEqual(checkModel(model), []);
  return model;
}

/** Every op over whole tensors, each written over its input (token overwriting). */
function inPlacePlan(model: Model): Plan {
  const calls: Call[] = [
    { kind: 'load', region: fullRegion(model, model.input), instance: `${model.input}` },
    ...layerwiseCalls(
      model,
      model.ops.map((_, i) => i),
    ),
  ];
  return allocatePlan(model, 'layer', {}, calls, null, { tokenOverwriting: true });
}

/**
 * The chain a block of tokens at a time (blocks of the given sizes, then the rest): each block's
 * tensors are instances of their own (`t@b1`), written over one another; the last op fills the
 * whole output block by block.
 */
function blockPlan(model: Model, sizes: readonly number[]): Plan {
  const tokens = model.tensors[model.input]!.shape[0];
  const starts = [0];
  for (const s of sizes) if (starts[starts.length - 1]! + s < tokens) starts.push(starts[starts.length - 1]! + s);
  const calls: Call[] = [];
  starts.forEach((y0, b) => {
    const region = { y0, y1: starts[b + 1] ?? tokens, x0: 0, x1: 1 };
    const key = (t: number) => (t === model.output ? `${t}` : `${t}@b${b}`);
    calls.push({ kind: 'load', region, instance: key(model.input) });
    model.ops.forEach((op, i) => calls.push({ kind: 'op', op: i, region, outInstance: key(op.output), inInstances: op.inputs.map(key), suffix: `_b${b}` }));
  });
  return allocatePlan(model, 'layer', {}, calls, null, { tokenOverwriting: true });
}

const models = [
  // 17 channels, a low rank of 5: the channel counts no multiple of 4, in place forwards and
  // backwards; the layernorm clamped short of the int8 range.
  chain('tok-17', 3, 7, 17, [
    { kind: 'layernorm', clamp: true },
    { kind: 'linear', out: 5, bias: false },
    { kind: 'linear', out: 5, bias: false },
    { kind: 'linear', out: 51, bias: true },
    { kind: 'gelu' },
  ]),
  // One token of 3 channels, rank 1; the layernorm with the reference requantization.
  chain('tok-1x3', 4, 1, 3, [
    { kind: 'layernorm', leftShift: true },
    { kind: 'linear', out: 1, bias: false },
    { kind: 'linear', out: 1, bias: false },
    { kind: 'linear', out: 9, bias: true },
    { kind: 'gelu' },
  ]),
  // 13 tokens of 46: 46 → 24 with the reference requantization, 24 → 24 → 138 by the dsp 1×1
  // convolution's GEMM path (columns up to 128), then 138 → 47 past it, with a clamp that is not
  // the int8 range.
  chain('tok-46', 5, 13, 46, [
    { kind: 'layernorm' },
    { kind: 'linear', out: 24, bias: false, leftShift: true },
    { kind: 'linear', out: 24, bias: false },
    { kind: 'linear', out: 138, bias: true },
    { kind: 'gelu' },
    { kind: 'linear', out: 47, bias: true, clamp: true },
  ]),
];

test('the chains keep their values spread: no tensor constant', () => {
  for (const model of models) {
    for (const [id, values] of interpret(model)) {
      const distinct = new Set(values).size;
      const least = Math.min(8, Math.ceil(values.length / 2));
      assert.ok(distinct >= least, `${model.name} ${model.tensors[id]!.name}: expected at least ${least} distinct values, found ${distinct}`);
    }
  }
});

for (const kernels of ['reference', 'dsp']) {
  test(`layernorm, linear and gelu with the ${kernels} kernels: layer-wise, in place and in row blocks`, async () => {
    const ctx = await context(kernels);
    for (const model of models) {
      const plans: [string, Plan][] = [
        ['layer-wise', planLayerwise(model)],
        ['in place', inPlacePlan(model)],
        ['blocks of 1, 3, …', blockPlan(model, [1, 3, 2])],
      ];
      for (const [label, plan] of plans) {
        assert.deepEqual(checkPlan(plan), [], `${model.name} ${label}: the plan's symbolic check`);
        const steps = plan.steps.filter((s) => s.kind === 'op');
        if (label !== 'layer-wise')
          assert.ok(
            steps.some((s) => s.inPlace),
            `${model.name} ${label}: expected steps in place, found none`,
          );
        else assert.ok(!steps.some((s) => s.inPlace), `${model.name} ${label}: expected no step in place`);
        const row = await benchCase(ctx, plan);
        assert.equal(row.status, 'ok', `${model.name} ${label} (${kernels}): ${row.detail ?? ''}`);
      }
    }
  });
}
