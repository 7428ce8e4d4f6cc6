// rig build for silicon: every zoo network that fits compiles and links for both boards, NUCLEO
// and Discovery, with the real toolchain; what does not fit says so.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { planFor, fitsProblem } from '../bench/bench.js';
import { loadBoard } from '../config/board.js';
import { loadModel } from '../config/model.js';
import { BUILTIN_MODELS } from '../model/zoo.js';
import { rigCli } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-build-'));

test('every zoo network that fits links for the F746 and F412, NUCLEO and Discovery', async () => {
  const jobs: (() => Promise<void>)[] = [];
  let linked = 0;
  for (const id of ['f746', 'f412']) {
    const board = await loadBoard(id);
    for (const name of BUILTIN_MODELS.keys()) {
      const model = await loadModel(name, 1);
      // Layer-wise where it fits, else patch-based (2×2, the smallest arena), else nothing fits.
      const schedule = (['layer', 'patch'] as const).find((s) => fitsProblem(planFor({ model, schedule: s }), board) === null);
      if (schedule === undefined) continue;
      for (const variant of Object.keys(board.variants))
        jobs.push(async () => {
          const r = await rigCli(['build', '--board', id, '--variant', variant, '--model', name, '--schedule', schedule, '--json', '--build-dir', join(dir, 'build')], dir);
          assert.equal(r.code, 0, `${id} ${variant} ${name}: ${r.stderr}`);
          const report = JSON.parse(r.stdout) as { runner: string; flashBytes: number; flashBudgetBytes: number; arenaBytes: number; elf: string };
          assert.equal(report.runner, 'hardware');
          assert.ok(report.flashBytes > 0 && report.flashBytes <= report.flashBudgetBytes);
          assert.match(report.elf, new RegExp(`${id}-${variant}/${name.replace(/\./g, '\\.')}-`));
          linked++;
        });
    }
  }
  // Two compilers at a time.
  const queue = [...jobs];
  await Promise.all([0, 1].map(async () => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) await job();
  }));
  assert.ok(linked >= 40, `only ${linked} images`);
});

test('rig build says what does not fit, and refuses an unknown variant', async () => {
  const big = await rigCli(['build', '--board', 'f412', '--model', 'mcunet-in4', '--build-dir', join(dir, 'build')], dir);
  assert.equal(big.code, 1);
  assert.match(big.stderr, /mcunet-in4\/layer for f412 nucleo \(NUCLEO-F412ZG\): does-not-fit: .*overflowed by \d+ bytes/);
  const bad = await rigCli(['build', '--board', 'f746', '--variant', 'blackpill', '--build-dir', join(dir, 'build')], dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--variant blackpill: f746 has variants nucleo, disco/);
});
