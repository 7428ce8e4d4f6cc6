// rig build for silicon: every zoo network that fits compiles and links for both boards, NUCLEO
// and Discovery, with the real toolchain and without a warning; what does not fit says so; the
// arena lands in the SRAM --arena-ram chose; the selftest image links for every variant.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { DEFAULTS } from '../defaults.js';
import { planFor, fitsProblem, targetDirName } from '../bench/bench.js';
import { buildSelftest, emulatedTarget, hardwareTarget } from '../compile/firmware.js';
import { loadBoard } from '../config/board.js';
import { runTool } from '../proc/run.js';
import { loadModel } from '../config/model.js';
import { expandModels, ZOO_ALIAS } from '../bench/run.js';
import { DEFAULT_MODEL } from '../model/zoo.js';
import { rigCli } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-build-'));

test('every zoo network that fits links for the F746 and F412, NUCLEO and Discovery', async () => {
  const jobs: (() => Promise<void>)[] = [];
  let linked = 0;
  for (const id of ['f746', 'f412']) {
    const board = await loadBoard(id);
    for (const name of [DEFAULT_MODEL, ...expandModels([ZOO_ALIAS])]) {
      const model = await loadModel(name, 1);
      // Layer-wise where it fits, else patch-based (2×2, the smallest arena), else nothing fits.
      const schedule = (['layer', 'patch'] as const).find(
        (s) => fitsProblem(planFor({ model, schedule: s }), board, hardwareTarget(board, board.defaultVariant, board.defaultArenaRam)) === null,
      );
      if (schedule === undefined) continue;
      for (const variant of Object.keys(board.variants))
        jobs.push(async () => {
          const r = await rigCli(
            ['build', '--board', id, '--variant', variant, '--model', name, '--schedule', schedule, '--json', '--build-dir', join(dir, 'build')],
            dir,
          );
          assert.equal(r.code, 0, `${id} ${variant} ${name}: ${r.stderr}`);
          const report = JSON.parse(r.stdout) as { runner: string; flashBytes: number; flashBudgetBytes: number; arenaBytes: number; elf: string };
          assert.equal(report.runner, 'hardware');
          assert.ok(report.flashBytes > 0 && report.flashBytes <= report.flashBudgetBytes);
          assert.match(report.elf, new RegExp(`${id}-${variant}-arena-${board.defaultArenaRam}/${DEFAULTS.kernels}/${name.replace(/\./g, '\\.')}-`));
          assert.doesNotMatch(readFileSync(join(dirname(report.elf), 'build.log'), 'utf8'), /warning:/, `${id} ${variant} ${name}`);
          linked++;
        });
    }
  }
  // Two compilers at a time.
  const queue = [...jobs];
  await Promise.all(
    [0, 1].map(async () => {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) await job();
    }),
  );
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

/** The ELF's symbols by name, from arm-none-eabi-nm. */
async function symbols(elf: string): Promise<Map<string, number>> {
  const r = await runTool('arm-none-eabi-nm', [elf], { timeoutMs: 30_000 });
  assert.equal(r.exitCode, 0, r.stderr);
  return new Map(
    r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => [l.split(' ')[2]!, Number.parseInt(l.split(' ')[0]!, 16)]),
  );
}

test('--arena-ram links the arena into the SRAM it names and the stack at the top of the rest; each placement builds apart under its own id', async () => {
  // board, choice, arena RAM [start, end), top of the stack
  const cases = [
    ['f746', 'all', 0x20000000, 0x20050000, 0x20050000],
    ['f746', 'dtcm', 0x20000000, 0x20010000, 0x20050000],
    ['f746', 'sram1', 0x20010000, 0x20050000, 0x20010000],
    ['f412', 'sram1', 0x20000000, 0x20040000, 0x20040000],
  ] as const;
  const ids = new Set<string>();
  for (const [id, choice, start, end, stackTop] of cases) {
    const r = await rigCli(['build', '--board', id, '--arena-ram', choice, '--model', 'mcunet-vww0', '--json', '--build-dir', join(dir, 'build')], dir);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { elf: string; buildId: string; arenaRam: string; arenaRegion: { origin: number; sizeBytes: number } };
    assert.equal(report.arenaRam, choice);
    assert.deepEqual([report.arenaRegion.origin, report.arenaRegion.origin + report.arenaRegion.sizeBytes], [start, end]);
    assert.match(report.elf, new RegExp(`/${id}-nucleo-arena-${choice}/${DEFAULTS.kernels}/mcunet-vww0-layer/fw\\.elf$`));
    const sym = await symbols(report.elf);
    const arena = sym.get('rig_arena')!;
    const what = `${id} ${choice}: rig_arena at 0x${arena.toString(16)}, _earena 0x${sym.get('_earena')!.toString(16)}`;
    assert.ok(arena >= start && sym.get('_earena')! <= end, what);
    assert.equal(sym.get('_estack'), stackTop, what);
    assert.equal(sym.get('_sstack'), stackTop - 8192, what);
    // .data and .bss are never in an arena RAM of its own (the F746's dtcm and sram1).
    if (id === 'f746' && choice !== 'all') assert.ok(sym.get('_sdata')! < start || sym.get('_sdata')! >= end, what);
    ids.add(report.buildId);
  }
  assert.equal(ids.size, cases.length, 'two placements share a firmware id');

  const f746 = await loadBoard('f746');
  const in1 = planFor({ model: await loadModel('mcunet-in1', 1), schedule: 'layer' });
  assert.equal(
    fitsProblem(in1, f746, hardwareTarget(f746, 'nucleo', 'dtcm')),
    "mcunet-in1 needs 90 KB of SRAM for its arena (92160 B); f746's arena RAM dtcm (DTCM) has 64 KB (--arena-ram: all (DTCM+SRAM1+SRAM2, 320 KB), dtcm (DTCM, 64 KB), sram1 (SRAM1+SRAM2, 256 KB)); a tiled schedule may fit: `rig plan --budget 65536` with this model names the one with the fewest MACs whose arena fits in 65,536 B, if any, and --schedule auto runs it",
  );
  assert.equal(fitsProblem(in1, f746, hardwareTarget(f746, 'nucleo', 'sram1')), null);
  const big = await rigCli(['build', '--board', 'f746', '--arena-ram', 'dtcm', '--model', 'mcunet-in1', '--build-dir', join(dir, 'build')], dir);
  assert.equal(big.code, 1);
  assert.match(
    big.stderr,
    /mcunet-in1\/layer for f746 nucleo \(NUCLEO-F746ZG\): does-not-fit: ARENA overflowed by 26624 bytes \(f746: arena RAM dtcm \(DTCM\) 65536 B, RAM for data and stack 262144 B, 1048576 B flash\)/,
  );

  const unknown = await rigCli(['build', '--board', 'f412', '--arena-ram', 'dtcm', '--build-dir', join(dir, 'build')], dir);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--arena-ram dtcm: f412 can hold the arena in sram1 \(SRAM1, 256 KB\) \(.*boards\/f412\.json, memory\.arenaRam\)/);
  const emulated = await rigCli(['build', '--emulate', '--arena-ram', 'sram1', '--build-dir', join(dir, 'build')], dir);
  assert.equal(emulated.code, 2);
  assert.match(emulated.stderr, /--arena-ram chooses which SRAM of a physical board holds the arena; it does not go with --emulate/);
});

test('the selftest image compiles and links without a warning for the F746 and F412, NUCLEO and Discovery, and for their emulation', async () => {
  let linked = 0;
  for (const id of ['f746', 'f412']) {
    const board = await loadBoard(id);
    const targets = [...Object.keys(board.variants).map((v) => hardwareTarget(board, v, board.defaultArenaRam)), emulatedTarget(board)];
    for (const target of targets) {
      const what = `${id} ${target.variant ?? 'emulated'}`;
      const built = await buildSelftest(board, target, join(dir, 'build', targetDirName(board, target), 'selftest'), join(dir, 'build', 'cache'));
      assert.ok(built.ok, `${what}: ${built.ok ? '' : built.detail}`);
      assert.doesNotMatch(readFileSync(join(dirname(built.elfPath), 'build.log'), 'utf8'), /warning:/, what);
      const sym = await symbols(built.elfPath);
      // The vector table at the start of flash, the selftest's main, no model and no kernels.
      assert.equal(sym.get('rig_vectors'), target.flashOrigin, what);
      assert.ok(sym.has('main') && sym.has('rig_proto_hello') && sym.has('rig_timer_sample'), what);
      assert.ok(!sym.has('rig_model_invoke'), what);
      assert.match(readFileSync(join(dirname(built.elfPath), 'selftest.h'), 'utf8'), new RegExp(`#define RIG_BUILD_ID "${built.buildId}"`));
      linked++;
    }
  }
  assert.equal(linked, 6);
});
