import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelMacs, opMacs } from '../model/ir.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec } from '../model/spec.js';
import { BUILTIN_MODELS } from '../model/zoo.js';
import { checkPlan } from './check.js';
import { planPatchSchedule } from './patch.js';
import { opSteps } from './plan.js';
import { planStreamSchedule } from './stream.js';
import { randomTiledCases } from './testing.js';

const zoo = (name: string) => lowerModel(parseModelSpec(BUILTIN_MODELS.get(name)!, name), 1);

test('random specs: stream1d and stream2d plans pass the symbolic run; stream2d computes no pixel twice', () => {
  let plans = 0;
  for (const { model, patches, split, what } of randomTiledCases(120, [2, 3, 4])) {
    const patch = planPatchSchedule(model, { patches, split });
    const one = planStreamSchedule(model, 'stream1d', { patches, split });
    const two = planStreamSchedule(model, 'stream2d', { patches, split });
    assert.deepEqual(checkPlan(one), [], `${what} stream1d`);
    assert.deepEqual(checkPlan(two), [], `${what} stream2d`);
    assert.ok(two.macs <= one.macs && one.macs <= patch.macs, `${what}: ${two.macs} ≤ ${one.macs} ≤ ${patch.macs}`);
    // Every output pixel of every op is computed at most once.
    const seen = new Map<number, number>();
    for (const st of opSteps(two)) seen.set(st.op, (seen.get(st.op) ?? 0) + st.macs);
    for (const [op, macs] of seen) assert.ok(macs <= opMacs(model, model.ops[op]!), `${what}: op ${op} computed twice`);
    plans += 2;
  }
  assert.ok(plans > 400, `only ${plans} plans`);
});

test('zoo: stream2d executes exactly the layer-wise MACs; stream1d lies between it and patch', () => {
  for (const [name, patches, split] of [
    ['mcunet-vww1', 4, 5],
    ['mcunet-in2', 3, 7],
    ['mbv2-w0.35', 4, 6],
    ['msf-vww-5fps-r80', 5, 10],
  ] as const) {
    const model = zoo(name);
    const patch = planPatchSchedule(model, { patches, split });
    const one = planStreamSchedule(model, 'stream1d', { patches, split });
    const two = planStreamSchedule(model, 'stream2d', { patches, split });
    assert.equal(two.macs, modelMacs(model), name);
    assert.ok(two.macs < one.macs && one.macs < patch.macs, name);
    assert.equal(two.paperPeakBytes, null);
    assert.ok(two.buffers.some((b) => b.role === 'stream'));
  }
});

test('a stream schedule keeps halos in stream buffers: copies in, compute the new part, copies out', () => {
  // One 3×3 convolution on 8×8, 2×2 cells: the right cell gets its left overlap column from the
  // left cell, the cells below get their top overlap row from the cells above.
  const model = lowerModel(
    parseModelSpec({ name: 'one', input: [8, 8, 2], blocks: [{ type: 'conv2d', out: 3, k: 3 }, { type: 'conv2d', out: 2, k: 3 }, { type: 'avgpool' }] }, 'one'),
    1,
  );
  const plan = planStreamSchedule(model, 'stream2d', { patches: 2, split: 2 });
  assert.deepEqual(checkPlan(plan), []);
  const kinds = plan.steps.map((s) => (s.kind === 'op' ? model.ops[s.op]!.name : s.kind));
  const [first, second] = [model.ops[0]!.name, model.ops[1]!.name];
  // Cell (0,0): load, compute, save its right overlap and its bottom overlap.
  assert.deepEqual(kinds.slice(0, 6), ['load', first, 'copy', 'copy', second, 'load']);
  const conv0 = opSteps(plan).filter((s) => s.op === 0);
  // The first conv's 8×8 output is computed once over the four cells: 5×5, 5×3, 3×5, 3×3.
  assert.deepEqual(
    conv0.map((s) => [s.region.y1 - s.region.y0, s.region.x1 - s.region.x0]),
    [
      [5, 5],
      [5, 3],
      [3, 5],
      [3, 3],
    ],
  );
});
