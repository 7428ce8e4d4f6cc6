// The generated C reads as a C engineer expects: the arena's buffers as a table at the top, named
// fields in every initializer, each call numbered and described.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planFor } from '../bench/bench.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec } from '../model/spec.js';
import { TINY_CNN } from '../model/zoo.js';
import { profileSlot, profileSlotCount } from '../schedule/profile.js';
import { generateModelC } from './c.js';

const model = lowerModel(parseModelSpec(TINY_CNN, 'tiny'), 1);

test("model.c starts with a table of the arena's buffers: offset, size, live steps, role, name", () => {
  const plan = planFor({ model, schedule: 'stream2d', patches: 2, split: 3 });
  const c = generateModelC(plan);
  const table = c.slice(c.indexOf('/* The arena'), c.indexOf('*/', c.indexOf('/* The arena')));
  assert.match(table, new RegExp(`The arena: ${plan.arenaBytes} bytes, ${plan.buffers.length} buffers`));
  const rows = table.split('\n').filter((l) => /^ \*\s+\d+\s+\d+\s/.test(l));
  assert.equal(rows.length, plan.buffers.length);
  for (const b of plan.buffers) {
    const steps = b.last >= plan.steps.length ? `${b.first}-end` : b.first === b.last ? `${b.first}` : `${b.first}-${b.last}`;
    const row = new RegExp(`^ \\*\\s+${b.offset}\\s+${b.sizeBytes}\\s+${steps}\\s+${b.role}\\s+${b.name.replace(/[#@+,]/g, '\\$&')}$`);
    assert.ok(
      rows.some((r) => row.test(r)),
      `${b.name} at ${b.offset}, ${b.sizeBytes} B, steps ${steps}`,
    );
  }
  assert.ok(plan.buffers.some((b) => b.role === 'stream') && plan.buffers.some((b) => b.role === 'scratch'));
});

test('windows and parameter structs use named fields; every call is numbered by its step', () => {
  const plan = planFor({ model, schedule: 'patch', patches: 2, split: 3 });
  const c = generateModelC(plan);
  const windows = c.split('\n').filter((l) => l.startsWith('static const rig_window'));
  assert.ok(windows.length > 0);
  for (const w of windows)
    assert.match(
      w,
      /= \{ \.in = \{ \.y0 = \d+, \.x0 = \d+, \.h = \d+, \.w = \d+ \}, (\.in2 = \{[^}]+\}, )?\.out = \{[^}]+\}, \.y0 = \d+, \.y1 = \d+, \.x0 = \d+, \.x1 = \d+ \};$/,
    );
  assert.match(c, /static const rig_conv_params L0_b0_conv2d_p = \{\n {4}\.in_h = 32, \.in_w = 32, \.in_c = 3,\n/);
  const calls = functionBody(c, 'rig_model_invoke').filter((l) => l.startsWith('    rig_'));
  assert.equal(calls.length, plan.steps.length);
  calls.forEach((l, n) => assert.match(l, new RegExp(`/\\* ${n}: ${plan.steps[n]!.name.replace(/[@,]/g, '\\$&')}`)));
});

/** The lines of a generated function's body. */
function functionBody(c: string, name: string): string[] {
  const start = c.indexOf(`void ${name}(`);
  return c.slice(start, c.indexOf('\n}\n', start)).split('\n');
}

test("the profiling pass runs rig_model_invoke's calls in order, each followed by the mark of its slot", () => {
  const plan = planFor({ model, schedule: 'stream1d', patches: 2, split: 3 });
  const c = generateModelC(plan);
  const invoke = functionBody(c, 'rig_model_invoke').filter((l) => l.startsWith('    rig_'));
  const profile = functionBody(c, 'rig_model_profile').filter((l) => l.startsWith('    rig_') || l.startsWith('    RIG_MARK'));
  const slots = plan.steps.map((step) => profileSlot(model, step));
  assert.deepEqual(
    profile,
    invoke.flatMap((call, n) => [call, `    RIG_MARK(${slots[n]});`]),
  );
  // Every kind of slot is used: the operators, the input copy and the stream buffers' copies.
  assert.ok(slots.includes(model.ops.length) && slots.includes(model.ops.length + 1) && slots.includes(model.ops.length - 1));
  assert.ok(slots.every((k) => k >= 0 && k < profileSlotCount(model)));
});
