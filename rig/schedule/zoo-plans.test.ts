// Every built-in network under every schedule plans to the MACs, arena bytes, paper-metric peak
// and flash recorded in testdata/zoo-plans.json, and its reference output keeps its CRC: a change
// to the operators, the planner or the schedules that moves any of them has to mean to.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { planFor } from '../bench/bench.js';
import { loadModel } from '../config/model.js';
import { referenceOutput } from '../model/reference.js';
import { BUILTIN_MODELS } from '../model/zoo.js';
import { crc32, hex32 } from '../util/crc32.js';
import { ROOT } from '../util/paths.js';
import { analyze } from './analysis.js';
import { SCHEDULES } from './plan.js';

const recorded = JSON.parse(readFileSync(join(ROOT, 'rig', 'schedule', 'testdata', 'zoo-plans.json'), 'utf8')) as Record<string, unknown>;

test('every zoo network plans under every schedule as recorded, with the same reference CRC', async () => {
  assert.deepEqual(Object.keys(recorded), [...BUILTIN_MODELS.keys()]);
  for (const name of BUILTIN_MODELS.keys()) {
    const model = await loadModel(name, 1);
    const plans: Record<string, unknown> = {};
    for (const schedule of SCHEDULES) {
      try {
        const plan = planFor({ model, schedule });
        const { options, macs, arenaBytes, liveBytesBound, paperPeakBytes } = plan;
        plans[schedule] = { options, macs, arenaBytes, liveBytesBound, paperPeakBytes, weightBytes: analyze(plan).weightBytes, steps: plan.steps.length };
      } catch (error) {
        plans[schedule] = { error: (error as Error).message };
      }
    }
    assert.deepEqual({ referenceCrc32: hex32(crc32(referenceOutput(model))), plans }, recorded[name], name);
  }
});
