// Vision transformers through the command line as a user runs them: a spec under layer-wise and
// mcuformer in QEMU, the plan and its techniques, weights in external flash, and the table.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TINY_VIT } from '../model/testing.js';
import type { ResultRow } from '../results/row.js';
import { rigCli } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-vit-'));
const rig = (args: string[]) => rigCli(args, dir);
const spec = join(dir, 'tiny-vit.json');
writeFileSync(spec, JSON.stringify(TINY_VIT));
const store = ['--db', join(dir, 'rig.db'), '--build-dir', join(dir, 'build')];

test('rig bench runs a transformer under layer-wise and mcuformer: bit-exact, the arena measured as planned, mcuformer smaller', async () => {
  const r = await rig(['bench', '--model', spec, '--runs', '1', '--json', ...store]);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as ResultRow[];
  assert.deepEqual(
    rows.map((row) => [row.schedule, row.status]),
    [
      ['layer', 'ok'],
      ['mcuformer', 'ok'],
    ],
  );
  for (const row of rows) {
    assert.equal(row.outputCrc32, row.referenceCrc32);
    assert.equal(row.memory.measuredArenaBytes, row.memory.plannedArenaBytes);
  }
  const [layer, mcuformer] = rows as [ResultRow, ResultRow];
  assert.equal(mcuformer.referenceCrc32, layer.referenceCrc32);
  assert.deepEqual(mcuformer.scheduleOptions, { rows: 8 });
  assert.ok(mcuformer.memory.plannedArenaBytes < layer.memory.plannedArenaBytes);
  assert.equal(mcuformer.macs, layer.macs);
});

test('rig plan --schedule mcuformer gives the arena and what each technique saves; the options it does not take are refused', async () => {
  const r = await rig(['plan', '--model', spec, '--schedule', 'mcuformer', '--rows', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout) as {
    rows: number;
    arenaPeakBytes: number;
    layerwiseArenaBytes: number;
    techniques: { technique: string; arenaBytes: number; savedBytes: number; withoutItBytes: number | null }[];
  };
  assert.equal(plan.rows, 3);
  assert.deepEqual(
    plan.techniques.map((t) => t.technique),
    ['layer-wise', 'integrate', 'overwrite', 'decompose'],
  );
  assert.equal(plan.techniques[0]!.arenaBytes, plan.layerwiseArenaBytes);
  assert.equal(plan.techniques[3]!.arenaBytes, plan.arenaPeakBytes);
  for (const t of plan.techniques.slice(1)) assert.ok(t.withoutItBytes !== null && t.withoutItBytes >= plan.arenaPeakBytes, t.technique);

  const refused = async (args: string[], message: RegExp) => {
    const out = await rig(args);
    assert.equal(out.code, 2, `${args.join(' ')}: ${out.stderr}`);
    assert.match(out.stderr, message);
    assert.doesNotMatch(out.stderr, /internal error|\n\s+at /);
  };
  await refused(['plan', '--model', spec, '--schedule', 'mcuformer', '--rows', '0'], /--rows 0: expected a whole number of token rows from 1 to 65535/);
  await refused(['plan', '--model', spec, '--rows', '4'], /--rows goes with --schedule mcuformer/);
  await refused(['plan', '--model', spec, '--schedule', 'mcuformer', '--patches', '2'], /--patches and --split go with --schedule patch/);
  await refused(['bench', '--model', 'tiny-cnn', '--schedule', 'mcuformer', ...store], /--schedule mcuformer: tiny-cnn has no token operators/);
});

test("weights past the internal flash go to the DISCO's QSPI flash (the emulator's RAM at 0x60000000); a variant or board without it refuses with both numbers", async () => {
  // A classifier of 8192 classes over 128 channels: 1 MB of weights and 96 KB of requantization.
  const big = join(dir, 'big-head.json');
  writeFileSync(
    big,
    JSON.stringify({
      name: 'big-head',
      input: [16, 16, 3],
      blocks: [
        { type: 'patchembed', patch: 8, dim: 128 },
        { type: 'encoder', heads: 2, mlp: 1 },
        { type: 'classifier', out: 8192 },
      ],
    }),
  );
  const run = async (...extra: string[]) => {
    const r = await rig(['bench', '--model', big, '--schedule', 'layer', '--runs', '1', '--json', ...store, ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as ResultRow[])[0]!;
  };
  const nucleo = await run();
  assert.equal(nucleo.status, 'does-not-fit');
  assert.match(
    nucleo.detail ?? '',
    /^big-head needs 1\d{3} KB of flash for its weights; f746 has 1024 KB of internal flash and no external flash on this variant \(the disco variant has 16384 KB of QSPI flash: --variant disco\)/,
  );
  const f412 = await run('--board', 'f412', '--emulate');
  assert.equal(f412.status, 'does-not-fit');
  assert.match(f412.detail ?? '', /f412 has 1024 KB of internal flash and no external flash, and no schedule changes that/);

  const disco = await run('--variant', 'disco');
  assert.equal(disco.status, 'ok', disco.detail ?? '');
  assert.equal(disco.outputCrc32, disco.referenceCrc32);
  assert.ok(disco.memory.externalFlashBytes! > 1_100_000, String(disco.memory.externalFlashBytes));
  assert.ok(disco.memory.flashBytes! < 200_000, String(disco.memory.flashBytes));
  // The silicon image for the DISCO: its board support maps the QSPI flash, the weights link there.
  const silicon = await rig([
    'build',
    '--board',
    'f746',
    '--variant',
    'disco',
    '--model',
    big,
    '--schedule',
    'layer',
    '--json',
    '--build-dir',
    join(dir, 'build'),
  ]);
  assert.equal(silicon.code, 0, silicon.stderr);
  const report = JSON.parse(silicon.stdout) as { runner: string; externalFlash: { name: string; bytes: number; budgetBytes: number } };
  assert.equal(report.runner, 'hardware');
  assert.deepEqual(report.externalFlash, { name: 'QSPI', bytes: disco.memory.externalFlashBytes, budgetBytes: 16 * 1024 * 1024 });
  // The store keeps where the weights live.
  const results = await rig(['results', '--json', '--db', join(dir, 'rig.db')]);
  const stored = (JSON.parse(results.stdout) as ResultRow[]).find((row) => row.model === 'big-head' && row.status === 'ok')!;
  assert.equal(stored.memory.externalFlashBytes, disco.memory.externalFlashBytes);
});

test('rig tables mcuformer prints the three transformers, both arenas, the techniques and the paper headline', async () => {
  const r = await rig(['tables', 'mcuformer', '--db', join(dir, 'none.db')]);
  assert.equal(r.code, 0, r.stderr);
  for (const name of ['vit-d64-l4-r96-p8', 'vit-d96-l6-r160-p16', 'mcuformer-d192-l12-r240-p16']) assert.match(r.stdout, new RegExp(`\\| ${name} +\\|`));
  assert.match(r.stdout, /\| mcuformer-d192-l12-r240-p16 +\| +3,493,480 \| +964,561,920 \|/);
  assert.match(r.stdout, /saved by operator integration/);
  assert.match(r.stdout, /275,942/);
  assert.match(r.stdout, /73\.62% ImageNet top-1 within 320 KB/);
  assert.match(r.stdout, /rig measures no accuracy/);
});
