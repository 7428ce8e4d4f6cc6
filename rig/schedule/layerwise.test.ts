import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec } from '../model/spec.js';
import { TINY_CNN } from '../model/zoo.js';
import { placeBuffers } from './arena.js';
import { planLayerwise } from './layerwise.js';

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
  const input = plan.buffers.find((b) => b.tensor === 0)!;
  assert.equal(input.first, -1);
  assert.equal(input.sizeBytes, 3072);
});
