import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planFor } from '../bench/bench.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec } from '../model/spec.js';
import { TINY_CNN } from '../model/zoo.js';
import { profileSlotCount, readProfile } from './profile.js';

const model = lowerModel(parseModelSpec(TINY_CNN, 'tiny'), 1);

test("a profile files each slot under its operator, sums a layer's MACs over its steps, and keeps the copies and the rest outside the layers", () => {
  for (const schedule of ['layer', 'patch', 'stream1d', 'stream2d'] as const) {
    const plan = planFor(schedule === 'layer' ? { model, schedule } : { model, schedule, patches: 2, split: 3 });
    const n = profileSlotCount(model);
    const slotTicks = Array.from({ length: n }, (_, k) => 100 + k);
    const total = slotTicks.reduce((a, b) => a + b, 0) + 3;
    const p = readProfile(plan, slotTicks, total, (ticks) => ticks * 40);
    assert.deepEqual(
      p.layers.map((l) => [l.name, l.op, l.shape.join('x'), l.latency]),
      model.ops.map((op, k) => [op.name, op.kind, model.tensors[op.output]!.shape.join('x'), (100 + k) * 40]),
    );
    // Recomputed halos are counted in the layers they belong to: the plan's MACs, layer by layer.
    assert.equal(
      p.layers.reduce((a, l) => a + l.macs, 0),
      plan.macs,
      schedule,
    );
    assert.deepEqual([p.input, p.copies, p.rest, p.total], [(100 + n - 2) * 40, (100 + n - 1) * 40, 3 * 40, total * 40]);
  }
});
