import assert from 'node:assert/strict';
import { test } from 'node:test';
import { avgpool2d, type AvgPool2dOp } from './avgpool2d.js';
import { tensorsOf } from './testing.js';

const pool = (fields: Partial<AvgPool2dOp> = {}): AvgPool2dOp => ({
  kind: 'avgpool2d',
  name: 'p',
  block: 0,
  inputs: [0],
  output: 1,
  kh: 3,
  kw: 3,
  stride: 2,
  padTop: 0,
  padLeft: 0,
  padBottom: 1,
  padRight: 1,
  actMin: -128,
  actMax: 127,
  ...fields,
});

test('a 3×3 average pool at stride 2, SAME on 4×4, by hand: padding taps are not counted, halves round away from zero', () => {
  // Channel 0 holds 1 … 16 row by row, channel 1 the same negated.
  const input = Int8Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? 1 : -1) * (Math.floor(i / 2) + 1));
  const tensors = tensorsOf([[4, 4, 2], 0], [[2, 2, 2], 0]);
  // (0,0): nine taps, 54/9 = 6. (0,1): columns 2 and 3 only, 45/6 = 7.5 → 8. (1,0): rows 2 and 3,
  // 72/6 = 12. (1,1): four taps, 54/4 = 13.5 → 14. Negated: -6, -7.5 → -8, -12, -13.5 → -14.
  assert.deepEqual([...avgpool2d.reference(pool(), [input], tensors)], [6, -6, 8, -8, 12, -12, 14, -14]);
  // The fused activation clamps.
  assert.deepEqual([...avgpool2d.reference(pool({ actMin: -7, actMax: 12 }), [input], tensors)], [6, -6, 8, -7, 12, -7, 12, -7]);
});

test("a pool's shape, receptive field and checks; it counts no MACs and is not written over its input", () => {
  const op = pool({ stride: 2, padTop: 1, padLeft: 1, padBottom: undefined, padRight: undefined });
  assert.deepEqual(avgpool2d.outputShape(op, [[9, 7, 3]]), [5, 4, 3]);
  // Output rows [0, 2) read rows -1 … 3: clipped to [0, 4), or [-1, 4) as if padding were data.
  assert.deepEqual(avgpool2d.inputSpan(op, 0, 0, { lo: 0, hi: 2 }, 9, true), { lo: 0, hi: 4 });
  assert.deepEqual(avgpool2d.inputSpan(op, 0, 0, { lo: 0, hi: 2 }, 9, false), { lo: -1, hi: 4 });
  const tensors = tensorsOf([[9, 7, 3], 0], [[5, 4, 3], 0]);
  assert.deepEqual(avgpool2d.check(op, tensors), []);
  assert.deepEqual(avgpool2d.check({ ...op, padTop: 3 }, tensors), ['padding: expected less than the kernel (3×3), found 3, 1']);
  assert.deepEqual(avgpool2d.check({ ...op, stride: 0, actMin: 9, actMax: 8 }, tensors), [
    'stride: expected a whole number from 1 to 255, found 0',
    'activation range: expected -128 <= min <= max <= 127, found [9, 8]',
  ]);
  assert.equal(avgpool2d.wholeTensor, null);
  assert.deepEqual(avgpool2d.overwrites, []);
  assert.equal(avgpool2d.macsPerOutputPixel(op, tensors), 0);
  assert.equal(avgpool2d.paperLayerBytes(op, [189], 60), 249);
  assert.match(
    avgpool2d.emit(op, tensors, 'L1_p').call({ inputs: ['arena + 0'], output: 'arena + 200', scratch: 'NULL', window: '&rig_w3', inPlace: false }),
    /^rig_avgpool2d_s8\(&L1_p_p, &rig_w3, arena \+ 0, arena \+ 200\);$/,
  );
});
