import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { modelDigest, valueDigest } from '../model/digest.js';
import type { Model } from '../model/ir.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec } from '../model/spec.js';
import { TINY_CNN } from '../model/zoo.js';
import { computeReferenceCrc32, referenceCacheDir, referenceCrc32 } from './reference-cache.js';

const tiny = (seed: number): Model => lowerModel(parseModelSpec(TINY_CNN, 'tiny'), seed);

/** The model with one byte of one op's weights changed. */
function withWeightChanged(model: Model): Model {
  const ops = model.ops.map((op, i) => {
    if (i !== 0 || !('weights' in op)) return op;
    const weights = Int8Array.from(op.weights as Int8Array);
    weights[0] = weights[0] === 1 ? 2 : 1;
    return { ...op, weights };
  });
  return { ...model, ops: ops as Model['ops'] };
}

test('the model digest covers weights, input and name, and is the same for the same seed', () => {
  const a = tiny(1);
  assert.equal(modelDigest(a), modelDigest(tiny(1)));
  assert.notEqual(modelDigest(a), modelDigest(tiny(2)));
  assert.ok('weights' in a.ops[0]!, 'the first op has weights');
  assert.notEqual(modelDigest(a), modelDigest(withWeightChanged(a)));
  const input = Int8Array.from(a.inputData);
  input[input.length - 1] = input[input.length - 1] === 0 ? 1 : 0;
  assert.notEqual(modelDigest(a), modelDigest({ ...a, inputData: input }));
  assert.notEqual(modelDigest(a), modelDigest({ ...a, name: 'other' }));
});

test('the reference cache gives the interpreter CRC, from disk the second time, and misses on another seed or model', async () => {
  const buildRoot = join(mkdtempSync(join(tmpdir(), 'rig-refcache-')), 'build');
  const model = tiny(1);
  const first = await referenceCrc32(model, 1, buildRoot);
  assert.deepEqual(first, { crc32: computeReferenceCrc32(model), cached: false });
  assert.deepEqual(await referenceCrc32(tiny(1), 1, buildRoot), { crc32: first.crc32, cached: true });

  const other = tiny(2);
  const second = await referenceCrc32(other, 2, buildRoot);
  assert.deepEqual(second, { crc32: computeReferenceCrc32(other), cached: false });
  assert.notEqual(second.crc32, first.crc32);
  // The same weights under another seed number are another key.
  assert.equal((await referenceCrc32(model, 3, buildRoot)).cached, false);
  const changed = withWeightChanged(model);
  assert.deepEqual(await referenceCrc32(changed, 1, buildRoot), { crc32: computeReferenceCrc32(changed), cached: false });
  // One file per key, none left half-written.
  assert.deepEqual(
    readdirSync(referenceCacheDir(buildRoot)).filter((f) => !/^[0-9a-f]{32}\.json$/.test(f)),
    [],
  );
});

test('a damaged reference cache entry is computed again, not used', async () => {
  const buildRoot = join(mkdtempSync(join(tmpdir(), 'rig-refcache-')), 'build');
  const model = tiny(1);
  const { crc32 } = await referenceCrc32(model, 1, buildRoot);
  const [file] = readdirSync(referenceCacheDir(buildRoot));
  for (const damaged of ['{"crc32":"0000', '{"crc32":"xyz"}', '']) {
    writeFileSync(join(referenceCacheDir(buildRoot), file!), damaged);
    assert.deepEqual(await referenceCrc32(model, 1, buildRoot), { crc32, cached: false }, damaged);
  }
  assert.deepEqual(await referenceCrc32(model, 1, buildRoot), { crc32, cached: true });
});

test('a digest refuses what it cannot see into rather than hashing it as empty', () => {
  assert.throws(() => valueDigest({ m: new Map([[1, 2]]) }), /cannot digest a Map/);
  assert.throws(() => valueDigest([() => 1]), /cannot digest a function/);
  assert.equal(valueDigest({ a: 1, b: Int8Array.of(1) }), valueDigest({ b: Int8Array.of(1), a: 1 }));
  assert.notEqual(valueDigest({ a: Int8Array.of(1) }), valueDigest({ a: Uint8Array.of(1) }));
});
