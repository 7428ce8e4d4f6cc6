// A suite is checked and planned before anything runs; a planner refusal is named by its place in
// the suite file, not by a command-line option. A resumed night runs only the cases with no row.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULTS } from '../defaults.js';
import { loadSuite } from '../config/suite.js';
import { UserError } from '../util/errors.js';
import { caseKey, type CaseFields } from '../results/compare.js';
import type { ResultRow, ResultStatus } from '../results/row.js';
import type { Plan } from '../schedule/plan.js';
import { baseRow } from './bench.js';
import { planCaseKey, planSuite, remainingCases } from './nightly.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-suite-'));
const emulated = { board: 'f746', emulate: true, models: ['tiny-cnn'] };

async function refusal(name: string, entries: unknown[]): Promise<string> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ entries }));
  const suite = await loadSuite(file);
  const error = await planSuite(suite, undefined).then(
    () => assert.fail('planned'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof UserError && error.exitCode === 2, String(error));
  return error.message.replace(file, `${name}.json`);
}

test('a bad split or grid in a suite names the file and the entry field, with no command-line option in it', async () => {
  assert.equal(
    await refusal('split', [emulated, { ...emulated, schedules: ['patch'], split: 9 }]),
    'split.json: entries[1].split: expected a whole number of blocks from 1 to 4 (the rest of tiny-cnn must keep at least one block)',
  );
  const pool = await refusal('pool', [{ ...emulated, schedules: ['stream2d'], split: 4 }]);
  assert.match(pool, /^pool\.json: entries\[0\]\.split: block 3 of tiny-cnn is avgpool \(b3_avgpool\); a split after a global pool/);
  const grid = await refusal('grid', [{ ...emulated, schedules: ['layer', 'patch'], patches: 17, split: 1 }]);
  assert.equal(grid, 'grid.json: entries[0].patches: expected a whole number from 1 to 16 (the stage output of tiny-cnn at split 1 is 16×16)');
  const kernels = await refusal('kernels', [emulated, { ...emulated, kernels: 'cmsis-nn' }]);
  assert.match(kernels, /^kernels\.json: entries\[1\]\.kernels: unknown kernel variant "cmsis-nn": the variants are [^(]*\breference\b/);
  for (const message of [pool, grid, kernels]) assert.doesNotMatch(message, /--/);
});

test('a good suite plans every model under every schedule of each entry', async () => {
  const file = join(dir, 'good.json');
  writeFileSync(file, JSON.stringify({ entries: [emulated, { ...emulated, schedules: ['patch'], patches: 2, split: 2 }] }));
  const prepared = await planSuite(await loadSuite(file), undefined);
  assert.deepEqual(
    prepared.map((p) => p.plans.map((plan) => `${plan.schedule} ${JSON.stringify(plan.options)}`)),
    [['layer {}', ...['patch', 'stream1d', 'stream2d'].map((s) => `${s} {"patches":2,"split":3}`)], ['patch {"patches":2,"split":2}']],
  );
  // An entry's kernel variant: the default when omitted.
  assert.deepEqual(
    prepared.map((p) => p.kernels),
    [DEFAULTS.kernels, DEFAULTS.kernels],
  );
});

test('a resumed night runs the cases with no stored row, whatever the stored status; rows of cases the suite lost are counted apart', async () => {
  const file = join(dir, 'resume.json');
  writeFileSync(
    file,
    JSON.stringify({
      seed: 3,
      entries: [
        { ...emulated, kernels: 'dsp', schedules: ['layer', 'patch'] },
        { ...emulated, kernels: 'reference', schedules: ['layer'] },
      ],
    }),
  );
  const suite = await loadSuite(file);
  const prepared = await planSuite(suite, undefined);
  const left = (rows: CaseFields[]) => {
    const r = remainingCases(prepared, rows, suite.seed);
    return [r.entries.map((e) => e.plans.map((plan) => plan.schedule)), r.done, r.gone];
  };
  assert.deepEqual(left([]), [[['layer', 'patch'], ['layer']], 0, 0]);
  const stored = (plan: Plan, status: ResultStatus): ResultRow => ({
    runId: 1,
    ...baseRow(plan, prepared[0]!.choice.board, 'qemu', suite.seed, '00000000'),
    kernelVariant: 'dsp',
    status,
    detail: null,
  });
  const [layer, patch] = prepared[0]!.plans;
  // A failed case counts as done: a resumed night continues, it does not retry.
  assert.deepEqual(left([stored(layer!, 'device-error')]), [[['patch'], ['layer']], 1, 0]);
  assert.deepEqual(left([stored(layer!, 'ok'), stored(patch!, 'ok')]), [[[], ['layer']], 2, 0]);
  // The same model and schedule with the other entry's kernel variant is the other entry's case.
  assert.deepEqual(left([{ ...stored(layer!, 'ok'), kernelVariant: 'reference' }]), [[['layer', 'patch'], []], 1, 0]);
  // Another seed, runner, board or grid is another case: the suite no longer has it.
  const others = [
    { ...stored(patch!, 'ok'), seed: 4 },
    { ...stored(patch!, 'ok'), runner: 'hardware' as const },
    { ...stored(patch!, 'ok'), board: 'f412' },
    { ...stored(patch!, 'ok'), scheduleOptions: { ...patch!.options, patches: 3 } },
    { ...stored(patch!, 'ok'), model: 'other-net' },
  ];
  assert.deepEqual(left(others), [[['layer', 'patch'], ['layer']], 0, others.length]);
  // A case is named by the key rows are compared by.
  assert.equal(planCaseKey(prepared[0]!, patch!, suite.seed), caseKey(stored(patch!, 'ok')));
});
