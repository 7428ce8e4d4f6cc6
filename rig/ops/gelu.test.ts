import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gelu, geluOp, geluTable, type GeluOp } from './gelu.js';
import { tensorsOf } from './testing.js';

test('gelu agrees with known values of x·Φ(x)', () => {
  // x·Φ(x) with Φ from erfc (Python's math.erfc), to 1e-15·max(1, |x|): the series below 3√2, the
  // continued fraction past it (x = ±5, −6).
  const known: [number, number][] = [
    [0, 0],
    [1, 0.8413447460685429],
    [-1, -0.15865525393145707],
    [0.5, 0.34573123063700656],
    [-0.5, -0.15426876936299344],
    [2, 1.9544997361036416],
    [-3, -0.004049694094890287],
    [3.5, 3.4991857982233756],
    [5, 4.99999856674214],
    [-5, -1.4332578593959731e-6],
    [-6, -5.919525870226207e-9],
  ];
  for (const [x, expected] of known) {
    assert.ok(Math.abs(gelu(x) - expected) <= 1e-15 * Math.max(1, Math.abs(x)), `GELU(${x}): ${gelu(x)}, expected ${expected}`);
  }
});

test('geluTable is within half an output step of the real GELU at every input', () => {
  for (const [inScale, inZp, outScale, outZp] of [
    [0.04, 0, 0.03, -20],
    [0.05, -17, 0.05, -128],
    [0.1, 30, 0.02, 5],
    [1 / 32, 3, 1 / 64, -100],
  ] as const) {
    const table = geluTable(inScale, inZp, outScale, outZp);
    for (let i = 0; i < 256; i++) {
      const real = outZp + gelu((i - 128 - inZp) * inScale) / outScale;
      // Past the int8 range the entry is the clamp.
      const expected = Math.min(127, Math.max(-128, real));
      const where = `scales ${inScale}, ${outScale}, zero points ${inZp}, ${outZp}: input ${i - 128}`;
      assert.ok(Math.abs(table[i]! - expected) <= 0.5, `${where}: entry ${table[i]}, expected within 0.5 of ${expected}`);
    }
  }
});

test('gelu looks each value up in its table, element-wise, and emits rig_lut_s8', () => {
  const table = Int8Array.from({ length: 256 }, (_, i) => (i - 128) >> 1);
  const op: GeluOp = { kind: 'gelu', name: 'g', block: 0, inputs: [0], output: 1, table };
  const tensors = tensorsOf([[2, 1, 3], 0], [[2, 1, 3], 0]);
  assert.deepEqual([...geluOp.reference(op, [Int8Array.from([-128, -1, 0, 1, 126, 127])], tensors)], [-64, -1, 0, 0, 63, 63]);
  assert.deepEqual(geluOp.check(op, tensors), []);
  assert.deepEqual(geluOp.check({ ...op, table: table.subarray(1) }, tensors), ['table: expected 256 values, found 255']);
  assert.deepEqual(geluOp.overwrites, [0]);
  assert.equal(geluOp.inPlaceScratchBytes(op, 2), 0);
  const emitted = geluOp.emit(op, tensors, 'L4');
  assert.match(emitted.data, /static const int8_t RIG_WEIGHTS L4_table\[256\] = \{\n {4}-64, -64, -63, -63,/);
  assert.match(emitted.data, /static const rig_lut_params L4_p = \{\n {4}\.c = 3, \.table = L4_table,\n\};/);
  assert.equal(
    emitted.call({ inputs: ['arena + 8'], output: 'arena + 8', scratch: 'NULL', window: '&rig_w2', inPlace: true }),
    'rig_lut_s8(&L4_p, &rig_w2, arena + 8, arena + 8);',
  );
});
