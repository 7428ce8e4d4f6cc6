// The dsp kernel variant through the real compiler and QEMU, beside what variants.e2e.test.ts checks
// of every variant: a zoo network and a wide odd-shape spec bit-exact and in fewer instructions than
// the reference kernels, both as recorded.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchCase, planFor, type BenchContext, type BenchCase } from '../bench/bench.js';
import { loadBoard } from '../config/board.js';
import { loadModel } from '../config/model.js';
import { createQemuRunner } from '../deploy/qemu.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec, type ModelSpecInput } from '../model/spec.js';
import { WIDE_ODD_SPEC } from '../model/testing.js';
import type { Model } from '../model/ir.js';
import { ROOT } from '../util/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-dsp-'));

function model(spec: ModelSpecInput, seed: number): Model {
  return lowerModel(parseModelSpec(spec, spec.name), seed);
}

async function context(kernels: string): Promise<BenchContext> {
  return {
    runner: createQemuRunner(await loadBoard('f746')),
    seed: 1,
    warmup: 0,
    runs: 1,
    inferenceTimeoutMs: 60_000,
    kernels,
    buildRoot: join(dir, 'build'),
  };
}

async function okRow(ctx: BenchContext, c: BenchCase) {
  const row = await benchCase(ctx, planFor(c));
  const what = `${c.model.name} ${c.schedule}: ${row.detail ?? ''}`;
  assert.equal(row.kernelVariant, 'dsp', what);
  assert.equal(row.status, 'ok', what);
  assert.equal(row.outputCrc32, row.referenceCrc32, what);
  assert.equal(row.memory.measuredArenaBytes, row.memory.plannedArenaBytes, what);
  return row;
}

test('dsp kernels take fewer instructions than the reference kernels, bit-exact: mcunet-in0 layer-wise and odd shapes', async () => {
  const dsp = await context('dsp');
  const reference = await context('reference');
  for (const c of [
    { model: await loadModel('mcunet-in0', 1), schedule: 'layer' as const },
    { model: model(WIDE_ODD_SPEC, 2), schedule: 'stream2d' as const, patches: 2, split: 2 },
  ]) {
    const fast = await okRow(dsp, c);
    const slow = await benchCase(reference, planFor(c));
    assert.equal(slow.status, 'ok', slow.detail ?? '');
    assert.equal(fast.outputCrc32, slow.outputCrc32);
    assert.ok(fast.latency!.median < slow.latency!.median, `${c.model.name}: dsp ${fast.latency!.median} vs reference ${slow.latency!.median}`);
    if (c.model.name === 'mcunet-in0') {
      // Both as recorded (rig/bench/testdata/default-bench.json, layer-wise first).
      const recorded = JSON.parse(readFileSync(join(ROOT, 'rig', 'bench', 'testdata', 'default-bench.json'), 'utf8')) as Record<
        string,
        { instructions: number }[]
      >;
      assert.equal(slow.latency!.median, recorded['reference']![0]!.instructions);
      assert.equal(fast.latency!.median, recorded['dsp']![0]!.instructions);
    }
  }
});
