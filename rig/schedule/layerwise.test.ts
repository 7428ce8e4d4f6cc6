import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec } from '../model/spec.js';
import { TINY_CNN } from '../model/zoo.js';
import { placeBuffers } from './arena.js';
import { planLayerwise } from './layerwise.js';
import { opSteps } from './plan.js';

test('placeBuffers reuses space of buffers that are no longer live', () => {
  // a (0..1) 100 B, b (1..2) 50 B, c (2..3) 80 B: c can take a's place once a is dead.
  const { offsets, peakBytes } = placeBuffers([
    { sizeBytes: 100, first: 0, last: 1 },
    { sizeBytes: 50, first: 1, last: 2 },
    { sizeBytes: 80, first: 2, last: 3 },
  ]);
  assert.deepEqual(offsets, [0, 100, 0]);
  assert.equal(peakBytes, 150);
});

test('placeBuffers never overlaps two buffers live at the same time', () => {
  const intervals = Array.from({ length: 40 }, (_, i) => ({ sizeBytes: 1 + ((i * 37) % 97), first: i % 7, last: (i % 7) + (i % 3) }));
  const { offsets, peakBytes } = placeBuffers(intervals);
  for (let i = 0; i < intervals.length; i++)
    for (let j = i + 1; j < intervals.length; j++) {
      const a = intervals[i]!;
      const b = intervals[j]!;
      if (a.first <= b.last && b.first <= a.last) {
        const disjoint = offsets[i]! + a.sizeBytes <= offsets[j]! || offsets[j]! + b.sizeBytes <= offsets[i]!;
        assert.ok(disjoint, `buffers ${i} and ${j} overlap`);
      }
    }
  assert.equal(peakBytes, Math.max(...intervals.map((iv, i) => offsets[i]! + iv.sizeBytes)));
  for (const o of offsets) assert.equal(o % 4, 0);
});

test('tiny-cnn plans to the largest input+output pair of any layer', () => {
  const plan = planLayerwise(lowerModel(parseModelSpec(TINY_CNN, 'tiny-cnn'), 1));
  // conv 32×32×3 → 16×16×8: 3072 + 2048; dw 2048 + 2048; pw 2048 → 4096: 6144 is the peak.
  assert.equal(plan.arenaBytes, 6144);
  // MACs: 16·16·8·27 + 16·16·8·9 + 16·16·16·8 + 16·10
  assert.equal(plan.macs, 55296 + 18432 + 32768 + 160);
  const input = plan.buffers.find((b) => b.tensors.includes(0))!;
  assert.equal(input.first, 0, 'step 0 copies the input in');
  assert.equal(input.sizeBytes, 3072);
});

test('a residual block keeps its input alive until the add, runs depthwise and add in place', () => {
  const model = lowerModel(parseModelSpec({ name: 'res', input: [8, 8, 4], blocks: [{ type: 'mbconv', expand: 3, out: 4, k: 3 }] }, 'res'), 1);
  const kinds = model.ops.map((o) => o.kind);
  assert.deepEqual(kinds, ['conv2d', 'dwconv2d', 'conv2d', 'add']);
  const plan = planLayerwise(model);
  const ops = opSteps(plan);
  assert.deepEqual(
    ops.map((s) => s.inPlace),
    [false, true, false, true],
  );
  const input = plan.buffers.find((b) => b.tensors.includes(model.input))!;
  assert.equal(input.last, 4, 'the block input lives until the add');
  // expand output and dw output share one buffer; the add writes over the projection.
  const expanded = model.ops[0]!.output;
  assert.deepEqual(plan.buffers.find((b) => b.tensors.includes(expanded))!.tensors, [expanded, model.ops[1]!.output]);
  assert.ok(plan.buffers.find((b) => b.tensors.includes(model.ops[2]!.output))!.tensors.includes(model.ops[3]!.output));
  // dw step: input 256 + expanded 768 + one 64-byte channel plane of scratch.
  assert.equal(ops[1]!.scratch?.sizeBytes, 64);
  // project step: input 256 + dw output 768 + projection 256.
  assert.equal(plan.arenaBytes, 256 + 768 + 256);
});

test('no in place when the depthwise input is read again later (expand 1 with a residual)', () => {
  const model = lowerModel(parseModelSpec({ name: 'r1', input: [6, 5, 8], blocks: [{ type: 'mbconv', expand: 1, out: 8, k: 5 }] }, 'r1'), 1);
  const plan = planLayerwise(model);
  assert.deepEqual(
    model.ops.map((o) => o.kind),
    ['dwconv2d', 'conv2d', 'add'],
  );
  assert.equal(opSteps(plan)[0]!.inPlace, false);
});
