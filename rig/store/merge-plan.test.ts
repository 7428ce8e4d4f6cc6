import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planMerge, type MergeTarget, type SourceNightly, type SourceRun } from './merge-plan.js';

const nightly = (id: number, uid: string, baselineId: number | null = null, status = 'passed'): SourceNightly => ({ id, uid, status, baselineId });
const run = (id: number, uid: string, nightlyId: number | null = null, status = 'complete'): SourceRun => ({ id, uid, status, nightlyId });
const empty: MergeTarget = { nightlies: new Map(), runs: new Map(), nextNightlyId: 1, nextRunId: 1 };

test('into an empty store: new ids from 1 in source order, references follow them', () => {
  const plan = planMerge(
    { nightlies: [nightly(7, 'n7'), nightly(3, 'n3'), nightly(9, 'n9', 3)], runs: [run(12, 'r12', 9), run(5, 'r5'), run(8, 'r8', 3)] },
    empty,
  );
  assert.deepEqual(plan.nightlies, [
    { sourceId: 3, id: 1, baselineId: null },
    { sourceId: 7, id: 2, baselineId: null },
    { sourceId: 9, id: 3, baselineId: 1 },
  ]);
  assert.deepEqual(plan.runs, [
    { sourceId: 5, id: 1, nightlyId: null },
    { sourceId: 8, id: 2, nightlyId: 1 },
    { sourceId: 12, id: 3, nightlyId: 3 },
  ]);
  assert.deepEqual(plan.present, { nightlies: [], runs: [] });
  assert.deepEqual(plan.running, { nightlies: [], runs: [] });
  assert.deepEqual([plan.lostBaselines, plan.lostNightlies], [[], []]);
});

test('local ids that collide with the destination’s get the next free ones; what it holds by uid is skipped and referred to', () => {
  // The destination holds nightly n1 as its id 4 and run r1 as its id 10; its ids 1, 2 and 3 are other rows.
  const target: MergeTarget = { nightlies: new Map([['n1', 4]]), runs: new Map([['r1', 10]]), nextNightlyId: 5, nextRunId: 11 };
  const plan = planMerge({ nightlies: [nightly(1, 'n1'), nightly(2, 'n2', 1)], runs: [run(1, 'r1', 1), run(2, 'r2', 2), run(3, 'r3', 1)] }, target);
  assert.deepEqual(plan.nightlies, [{ sourceId: 2, id: 5, baselineId: 4 }]);
  assert.deepEqual(plan.runs, [
    { sourceId: 2, id: 11, nightlyId: 5 },
    { sourceId: 3, id: 12, nightlyId: 4 },
  ]);
  assert.deepEqual(plan.present, { nightlies: [1], runs: [1] });
});

test('everything held already: nothing to copy', () => {
  const target: MergeTarget = { nightlies: new Map([['n1', 1]]), runs: new Map([['r1', 2]]), nextNightlyId: 2, nextRunId: 3 };
  const plan = planMerge({ nightlies: [nightly(1, 'n1')], runs: [run(1, 'r1', 1)] }, target);
  assert.deepEqual([plan.nightlies, plan.runs], [[], []]);
  assert.deepEqual(plan.present, { nightlies: [1], runs: [1] });
});

test('a running nightly is left out with all its runs, a running run alone; a baseline left out or in neither store becomes null and is reported', () => {
  const plan = planMerge(
    {
      nightlies: [nightly(1, 'n1', null, 'running'), nightly(2, 'n2', 1), nightly(3, 'n3', 99)],
      runs: [run(1, 'r1', 1), run(2, 'r2', 2, 'running'), run(3, 'r3', 2), run(4, 'r4', 42)],
    },
    empty,
  );
  assert.deepEqual(plan.running, { nightlies: [1], runs: [1, 2] });
  assert.deepEqual(plan.nightlies, [
    { sourceId: 2, id: 1, baselineId: null },
    { sourceId: 3, id: 2, baselineId: null },
  ]);
  assert.deepEqual(plan.lostBaselines, [
    { sourceId: 2, uid: 'n2', to: 1, why: 'running' },
    { sourceId: 3, uid: 'n3', to: 99, why: 'missing' },
  ]);
  assert.deepEqual(plan.runs, [
    { sourceId: 3, id: 1, nightlyId: 1 },
    { sourceId: 4, id: 2, nightlyId: null },
  ]);
  assert.deepEqual(plan.lostNightlies, [{ sourceId: 4, uid: 'r4', to: 42, why: 'missing' }]);
});
