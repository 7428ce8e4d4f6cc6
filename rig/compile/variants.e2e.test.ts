// Every kernel variant on the same cases: random specs, odd shapes and imported TFLite networks,
// under every schedule, each compiled with the variant, run in QEMU and checked against the
// reference interpreter's output CRC and the planned arena. A variant folder added beside
// reference/ is covered with no edit here.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { mapConcurrently } from '../util/concurrency.js';
import { benchCase, planFor, type BenchContext } from '../bench/bench.js';
import { loadBoard } from '../config/board.js';
import { createQemuRunner } from '../deploy/qemu.js';
import type { Model } from '../model/ir.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec, type ModelSpecInput } from '../model/spec.js';
import { randomSpec, TINY_VIT, WIDE_ODD_SPEC } from '../model/testing.js';
import { importTflite } from '../model/tflite/import.js';
import { builtCases } from '../model/tflite/testing.js';
import type { ResultRow } from '../results/row.js';
import { defaultSchedules, type Plan } from '../schedule/plan.js';
import { PlanRefusal } from '../schedule/refusal.js';
import { kernelVariants } from './kernels.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-variants-'));

// Odd shapes: odd and non-square sizes, channel counts that are not a multiple of 4, k = 1, 3, 5
// and 7, stride 1 and 2, padding 0, 1-pixel outputs, residual adds, depthwise convolutions in
// place (expanded input) and not (expand 1: the block input lives on for its residual add); k×k
// average pools padded and not, softmaxes over a feature map's channels and over the classes.
const ODD_SPECS: ModelSpecInput[] = [
  {
    name: 'odd-one-pixel',
    input: [15, 13, 3],
    blocks: [
      { type: 'conv2d', out: 5, k: 3, stride: 2, act: 'relu6' },
      { type: 'mbconv', expand: 1, out: 5, k: 5, stride: 1 },
      { type: 'mbconv', expand: 3, out: 5, k: 7, stride: 1 },
      { type: 'dwconv2d', k: 3, stride: 2, pad: 0, act: 'none' },
      { type: 'conv2d', out: 9, k: 3, stride: 1, pad: 0, act: 'relu' },
      { type: 'conv2d', out: 6, k: 1, act: 'none' },
      { type: 'avgpool' },
      { type: 'fc', out: 3 },
    ],
  },
  {
    name: 'odd-channels',
    input: [9, 17, 6],
    blocks: [
      { type: 'dwconv2d', k: 7, stride: 1, act: 'relu' },
      { type: 'mbconv', expand: 2.5, out: 6, k: 3, stride: 2 },
      { type: 'mbconv', expand: 2, out: 6, k: 5, stride: 1 },
      { type: 'conv2d', out: 10, k: 5, stride: 2, act: 'none' },
      { type: 'dwconv2d', k: 5, stride: 2, act: 'relu6' },
      { type: 'conv2d', out: 7, k: 7, act: 'relu' },
      { type: 'avgpool' },
      { type: 'fc', out: 5, act: 'relu' },
    ],
  },
  {
    name: 'odd-wide',
    input: [7, 25, 13],
    blocks: [
      { type: 'conv2d', out: 1, k: 1, act: 'none' },
      { type: 'conv2d', out: 11, k: 3, stride: 2, act: 'relu' },
      { type: 'mbconv', expand: 1, out: 11, k: 3, stride: 1 },
      { type: 'mbconv', expand: 2, out: 15, k: 7, stride: 2 },
      { type: 'avgpool' },
      { type: 'fc', out: 2 },
    ],
  },
  {
    name: 'odd-pools',
    input: [15, 11, 5],
    blocks: [
      { type: 'conv2d', out: 6, k: 3, stride: 1, act: 'relu' },
      { type: 'avgpool', k: 3, stride: 2, pad: 1 },
      { type: 'softmax', beta: 0.5 },
      { type: 'mbconv', expand: 2, out: 7, k: 3, stride: 1 },
      { type: 'avgpool', k: 2 },
      { type: 'dwconv2d', k: 3, stride: 1, act: 'relu6' },
      { type: 'avgpool', k: 5, stride: 1, pad: 2 },
      { type: 'avgpool' },
      { type: 'fc', out: 7 },
      { type: 'softmax' },
    ],
  },
];

const RANDOM_SEEDS = [31, 32, 33, 34, 35, 36];

/** Imported TFLite networks with the operators no spec block makes (MEAN into another quantization). */
const TFLITE_CASES = ['float-edges', 'mean-wide'];

/** The model under every schedule that applies to it; a tiled schedule the shape refuses on a 2×2 grid runs on one patch. */
function plansOf(model: Model): Plan[] {
  return defaultSchedules(model).map((schedule) => {
    if (schedule === 'layer') return planFor({ model, schedule });
    try {
      return planFor({ model, schedule });
    } catch (error) {
      if (!(error instanceof PlanRefusal)) throw error;
      return planFor({ model, schedule, patches: 1 });
    }
  });
}

test('every kernel variant runs random specs and odd shapes bit-exact under every schedule in QEMU, arena measured = planned', async () => {
  const board = await loadBoard('f746');
  const specs = [...ODD_SPECS, WIDE_ODD_SPEC, ...RANDOM_SEEDS.map((seed) => randomSpec(seed, { minSize: 9 }))];
  const built = builtCases();
  const models = [
    ...specs.map((spec, i) => lowerModel(parseModelSpec(spec, spec.name), i + 1)),
    ...TFLITE_CASES.map((name) => importTflite(built[name]!, name, 1)),
    // A transformer: every token and attention operator, whole and in blocks of tokens.
    lowerModel(parseModelSpec(TINY_VIT, TINY_VIT.name), 3),
  ];
  const plans = models.flatMap(plansOf);
  // Every schedule of every model planned, the tiled ones on patches of the stage.
  assert.equal(
    plans.length,
    models.reduce((n, m) => n + defaultSchedules(m).length, 0),
  );
  const variants = kernelVariants();
  assert.ok(variants.includes('reference'));
  for (const kernels of variants) {
    const ctx: BenchContext = { runner: createQemuRunner(board), seed: 1, warmup: 0, runs: 1, inferenceTimeoutMs: 60_000, kernels, buildRoot: dir };
    const rows: Omit<ResultRow, 'runId'>[] = await mapConcurrently(plans, 2, (plan) => benchCase(ctx, plan));
    for (const [i, row] of rows.entries()) {
      const what = `${kernels}: ${row.model} ${row.schedule} ${JSON.stringify(row.scheduleOptions)}: ${row.detail}`;
      assert.equal(row.status, 'ok', what);
      assert.equal(row.kernelVariant, kernels, what);
      assert.equal(row.outputCrc32, row.referenceCrc32, what);
      assert.equal(row.memory.measuredArenaBytes, plans[i]!.arenaBytes, what);
    }
  }
});
