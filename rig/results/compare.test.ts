import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResultRow } from './row.js';
import { compareRows, tally, type CompareOptions } from './compare.js';

const options: CompareOptions = { cyclesThreshold: 0.02 };

function row(over: Partial<ResultRow> & { median?: number; min?: number; max?: number; unit?: 'instructions' | 'cycles'; arena?: number } = {}): ResultRow {
  const { median = 1000, min = median, max = median, unit = 'instructions', arena = 4096, ...rest } = over;
  return {
    runId: 1,
    model: 'net',
    schedule: 'patch',
    scheduleOptions: { patches: 2, split: 3 },
    board: 'f746',
    runner: unit === 'instructions' ? 'qemu' : 'hardware',
    status: 'ok',
    detail: null,
    latency: { unit, n: 3, min, median, max },
    samples: [],
    memory: { plannedArenaBytes: arena, measuredArenaBytes: arena, stackBytes: 100, flashBytes: 50_000, staticRamBytes: 10, paperPeakBytes: null },
    macs: 5000,
    layerwiseMacs: 4000,
    outputCrc32: 'aaaaaaaa',
    referenceCrc32: 'aaaaaaaa',
    inputCrc32: 'bbbbbbbb',
    profile: null,
    kernelVariant: 'reference',
    firmwareId: '00000000',
    seed: 1,
    ...rest,
  };
}

const verdicts = (base: ResultRow[], now: ResultRow[], o = options) => compareRows(base, now, o).map((c) => c.verdict);

test('emulated instructions: one instruction more is a regression, one fewer an improvement, equal is the same', () => {
  assert.deepEqual(verdicts([row()], [row({ median: 1001 })]), ['regressed']);
  assert.deepEqual(verdicts([row()], [row({ median: 999 })]), ['improved']);
  assert.deepEqual(verdicts([row()], [row()]), ['same']);
  const [c] = compareRows([row()], [row({ median: 1001 })], options);
  assert.deepEqual(c!.reasons, ['median instructions 1,000 → 1,001 (+0.10%)']);
});

test('silicon cycles: a change counts only beyond the threshold and with the min–max ranges apart', () => {
  const base = row({ unit: 'cycles', median: 100_000, min: 99_500, max: 100_500 });
  // +1.5%: within the 2% threshold.
  assert.deepEqual(verdicts([base], [row({ unit: 'cycles', median: 101_500, min: 101_000, max: 102_000 })]), ['same']);
  // +3% but the ranges overlap (noise).
  assert.deepEqual(verdicts([base], [row({ unit: 'cycles', median: 103_000, min: 100_400, max: 104_000 })]), ['same']);
  // +3% with the ranges apart.
  assert.deepEqual(verdicts([base], [row({ unit: 'cycles', median: 103_000, min: 102_000, max: 104_000 })]), ['regressed']);
  assert.deepEqual(verdicts([base], [row({ unit: 'cycles', median: 97_000, min: 96_000, max: 98_000 })]), ['improved']);
  // A wider threshold lets the same +3% pass.
  assert.deepEqual(verdicts([base], [row({ unit: 'cycles', median: 103_000, min: 102_000, max: 104_000 })], { cyclesThreshold: 0.05 }), ['same']);
});

test('memory, flash and MACs are exact: any growth regresses, even when latency improves', () => {
  assert.deepEqual(verdicts([row()], [row({ arena: 4097 })]), ['regressed']);
  assert.deepEqual(verdicts([row()], [row({ macs: 5001 })]), ['regressed']);
  const bigger = row();
  bigger.memory = { ...bigger.memory, flashBytes: 50_004 };
  const [c] = compareRows([row()], [{ ...bigger, latency: { unit: 'instructions', n: 3, min: 900, median: 900, max: 900 } }], options);
  assert.equal(c!.verdict, 'regressed');
  assert.deepEqual(c!.reasons, ['flash B 50,000 → 50,004 (+0.01%)', 'median instructions 1,000 → 900 (-10.00%)']);
});

test('statuses: a failing row fails whatever the baseline; does-not-fit twice is the same; a fix is an improvement', () => {
  assert.deepEqual(verdicts([row()], [row({ status: 'mismatch', detail: 'CRC differs' })]), ['failed']);
  assert.deepEqual(compareRows([row()], [row({ status: 'timeout', detail: 'run: no line' })], options)[0]!.reasons, ['status timeout (was ok): run: no line']);
  assert.deepEqual(verdicts([row({ status: 'mismatch' })], [row({ status: 'mismatch' })]), ['failed']);
  assert.deepEqual(verdicts([row()], [row({ status: 'does-not-fit', latency: null })]), ['failed']);
  assert.deepEqual(verdicts([row({ status: 'does-not-fit', latency: null })], [row({ status: 'does-not-fit', latency: null })]), ['same']);
  assert.deepEqual(verdicts([row({ status: 'timeout', latency: null })], [row()]), ['improved']);
});

test('cases match by model, schedule with its options, board, runner and seed; unmatched ones are new or missing', () => {
  const base = [row(), row({ model: 'gone' })];
  const now = [row(), row({ scheduleOptions: { patches: 3, split: 3 } }), row({ seed: 2 })];
  const result = compareRows(base, now, options);
  assert.deepEqual(
    result.map((c) => [c.model, c.schedule, c.verdict]),
    [
      ['net', 'patch 2×2 split 3', 'same'],
      ['net', 'patch 3×3 split 3', 'new'],
      ['net', 'patch 2×2 split 3', 'new'],
      ['gone', 'patch 2×2 split 3', 'missing'],
    ],
  );
  assert.deepEqual(tally(result), { same: 1, improved: 0, regressed: 0, failed: 0, new: 2, missing: 1 });
});

test('a unit change between baseline and now is never read as a speed-up', () => {
  const [c] = compareRows([row({ unit: 'cycles', runner: 'qemu' })], [row({ median: 10 })], options);
  assert.equal(c!.verdict, 'regressed');
  assert.match(c!.reasons[0]!, /not comparable/);
});

test('the kernel variant is part of the case: a reference row is never compared with another variant', () => {
  const dsp = row({ kernelVariant: 'dsp', median: 500 });
  const cases = compareRows([row()], [dsp], options);
  assert.deepEqual(
    cases.map((c) => [c.kernels, c.verdict]),
    [
      ['dsp', 'new'],
      ['reference', 'missing'],
    ],
  );
  assert.match(cases[0]!.key, / \/ kernels dsp \/ /);
  // Both variants in both runs: each against its own.
  assert.deepEqual(verdicts([row(), dsp], [row({ median: 1001 }), dsp]), ['regressed', 'same']);
  // A row stored before every row carried its variant (nothing built) is a reference case.
  const old = row({ status: 'does-not-fit', kernelVariant: null, latency: null });
  assert.deepEqual(verdicts([old], [row({ status: 'does-not-fit', latency: null })]), ['same']);
});
