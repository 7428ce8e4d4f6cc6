import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadBoard } from '../config/board.js';
import { createQemuRunner, qemuOverallMs } from '../deploy/qemu.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec } from '../model/spec.js';
import { BUILTIN_MODELS } from '../model/zoo.js';
import { planLayerwise } from '../schedule/layerwise.js';
import { MAX_TIMER_MS } from '../util/limits.js';
import { benchCase, NOT_COMPUTED, tooLongProblem, type BenchContext } from './bench.js';

async function context(timeoutMs = 60_000, refused?: string): Promise<BenchContext> {
  const runner = createQemuRunner(await loadBoard('f746'));
  return {
    runner: { ...runner, run: () => Promise.reject(new Error('nothing may run for a refused case')) },
    seed: 1,
    warmup: 1,
    runs: 1,
    inferenceTimeoutMs: timeoutMs,
    kernels: 'dsp',
    // The reference cache would be written here: it must stay absent.
    buildRoot: join(tmpdir(), `rig-limits-${process.pid}-never-created`),
    refused,
  };
}

const big = lowerModel(
  parseModelSpec(
    {
      name: 'r512',
      input: [512, 512, 3],
      blocks: [{ type: 'conv2d', out: 16, k: 3, stride: 2 }, { type: 'avgpool' }, { type: 'fc', out: 10 }],
    },
    'r512.json',
  ),
  1,
);

test('a case that cannot fit the board is does-not-fit before the reference interpreter runs or anything is built', async () => {
  const ctx = await context();
  const started = performance.now();
  const row = await benchCase(ctx, planLayerwise(big));
  assert.equal(row.status, 'does-not-fit');
  assert.match(row.detail!, /r512 needs .* of SRAM/);
  assert.equal(row.referenceCrc32, NOT_COMPUTED);
  assert.equal(existsSync(ctx.buildRoot), false);
  assert.ok(performance.now() - started < 2000, 'nothing expensive ran');
});

test('a case whose MACs cannot run within the timeout at any speed is refused with the numbers, before anything runs', async () => {
  const model = lowerModel(parseModelSpec(BUILTIN_MODELS.get('mcunet-in0'), 'mcunet-in0'), 1);
  const plan = planLayerwise(model);
  const ctx = await context(1);
  const row = await benchCase(ctx, plan);
  assert.equal(row.status, 'timeout');
  assert.match(row.detail!, /^not run: mcunet-in0 executes 6,364,224 MACs per inference, at least 4 ms on the emulator .*, more than --timeout 1 ms$/);
  assert.equal(existsSync(ctx.buildRoot), false);
  // Every zoo network passes at the default timeout, on the emulator and on silicon alike.
  for (const [name, spec] of BUILTIN_MODELS) {
    const p = planLayerwise(lowerModel(parseModelSpec(spec, name), 1));
    assert.equal(tooLongProblem(p, ctx.runner, 60_000), null, name);
    assert.equal(tooLongProblem(p, { kind: 'hardware', board: ctx.runner.board }, 60_000), null, name);
  }
});

test('a case refused by the schedule search is does-not-fit with its reason', async () => {
  const model = lowerModel(parseModelSpec(BUILTIN_MODELS.get('tiny-cnn'), 'tiny-cnn'), 1);
  const row = await benchCase(await context(60_000, '--schedule auto: none of 46 plans fits'), planLayerwise(model));
  assert.equal(row.status, 'does-not-fit');
  assert.equal(row.detail, '--schedule auto: none of 46 plans fits');
});

test("QEMU's overall bound never exceeds what a Node timer can wait", () => {
  assert.equal(qemuOverallMs(1000, 1000, MAX_TIMER_MS), MAX_TIMER_MS);
  assert.equal(qemuOverallMs(1, 5, 1000), 10_000 + 10_000 + 9 * 1000);
});
