// The silicon path with everything real but the probe and the board: the real compiler builds the
// STM32 image, a fake openocd on PATH "programs" it, a fake board on a pseudo-terminal answers in
// the telemetry protocol, the real serial stack reads it and SQLite stores the rows.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS } from '../defaults.js';
import { test } from 'node:test';
import { loadBoard } from '../config/board.js';
import { CLI, rigCli } from '../cli/testing.js';
import { runTool } from '../proc/run.js';
import type { ResultRow } from '../results/row.js';
import { Store } from '../store/db.js';
import { programBoard } from './openocd.js';
import { startFakes, type FakeBoardMode, type Fakes, type FakeOpenocdMode } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-hw-'));
/** The image openocd must program for a target's tiny-cnn case: the cache entry its case folder links to. */
const flashed = (target: string) => realpathSync(join(dir, 'build', target, DEFAULTS.kernels, 'tiny-cnn-layer', 'fw.elf'));
let n = 0;

/** Runs `use` with a fresh fake board (and fake openocd) in a directory of its own; stops it after. */
async function withFakes<T>(board: FakeBoardMode, use: (fakes: Fakes, caseDir: string) => Promise<T>): Promise<T> {
  const caseDir = join(dir, `case-${n++}`);
  const fakes = await startFakes(caseDir, board);
  try {
    return await use(fakes, caseDir);
  } finally {
    await fakes.stop();
  }
}

/** One `rig bench --board f746` against a fresh fake board; the rows, the run and openocd's calls. */
function benchOnFakes(board: FakeBoardMode, openocd: FakeOpenocdMode, models = ['tiny-cnn'], extra: string[] = []) {
  return withFakes(board, async (fakes, caseDir) => {
    const db = join(caseDir, 'rig.db');
    const args = [
      'bench',
      '--board',
      'f746',
      '--port',
      fakes.port,
      '--probe',
      'FAKE0001',
      ...models.flatMap((m) => ['--model', m]),
      '--schedule',
      'layer',
      '--runs',
      '3',
      '--warmup',
      '1',
      '--timeout',
      '3000',
      '--json',
      '--db',
      db,
      '--build-dir',
      join(dir, 'build'),
      ...extra,
    ];
    const r = await rigCli(args, caseDir, fakes.env(openocd));
    const store = new Store(db);
    try {
      return { r, rows: store.results(1), run: store.run(1), calls: fakes.openocdCalls() };
    } finally {
      store.close();
    }
  });
}

test('rig bench --board f746 runs the full silicon path to stored rows, timed in cycles', async () => {
  const { r, rows, run, calls } = await benchOnFakes('ok', 'ok');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), rows);
  const [row] = rows as [ResultRow];
  assert.equal(row.status, 'ok', row.detail ?? '');
  assert.equal(row.runner, 'hardware');
  assert.deepEqual(row.latency, { unit: 'cycles', n: 3, min: 1_000_000, median: 1_000_001, max: 1_000_002 });
  assert.equal(row.outputCrc32, row.referenceCrc32);
  assert.equal(row.memory.measuredArenaBytes, row.memory.plannedArenaBytes);
  assert.ok(row.memory.flashBytes! > 0);
  assert.equal(run?.status, 'complete');
  assert.equal(run?.runner, 'hardware');
  assert.match(run?.toolchain['openocd'] ?? '', /Open On-Chip Debugger 0\.12\.0/);
  const program = calls.find((c) => c.some((a) => a.startsWith('program ')))!;
  assert.deepEqual(program.slice(0, 4), ['-f', 'board/st_nucleo_f7.cfg', '-c', 'adapter serial {FAKE0001}']);
  assert.equal(program[5]!, `program {${flashed('f746-nucleo-arena-all')}} verify reset exit`);
});

test('a board that hangs is reset and tried again; one that stays silent fails its row, and the next model still runs', async () => {
  const once = await benchOnFakes('hang-once', 'ok', ['tiny-cnn', 'mcunet-vww0']);
  assert.equal(once.r.code, 0, once.r.stderr);
  assert.deepEqual(
    once.rows.map((x) => [x.model, x.status]),
    [
      ['tiny-cnn', 'ok'],
      ['mcunet-vww0', 'ok'],
    ],
  );
  assert.match(once.rows[0]!.detail ?? '', /the first attempt failed \(boot: .*\); after a reset the second succeeded/);
  assert.ok(once.calls.some((c) => c.includes('reset run')));

  const silent = await benchOnFakes('silent', 'ok', ['tiny-cnn', 'mcunet-vww0']);
  assert.equal(silent.r.code, 1);
  assert.deepEqual(
    silent.rows.map((x) => [x.model, x.status]),
    [
      ['tiny-cnn', 'timeout'],
      ['mcunet-vww0', 'timeout'],
    ],
  );
  assert.match(silent.rows[0]!.detail ?? '', /^boot: .*\(also before a reset: boot: /);
  assert.equal(silent.run?.status, 'complete');
});

test('a garbled line, a port that vanishes, a reset and a saturated count fail their rows; nothing is guessed', async () => {
  const garbled = await benchOnFakes('garble', 'ok');
  assert.equal(garbled.rows[0]!.status, 'telemetry-error', garbled.rows[0]!.detail ?? '');
  assert.equal(garbled.run?.status, 'complete');
  const vanished = await benchOnFakes('vanish', 'ok');
  assert.match(vanished.rows[0]!.status, /^(device-error|telemetry-error|timeout)$/);
  assert.equal(vanished.rows[0]!.latency, null);
  assert.equal(vanished.run?.status, 'complete');
  const reset = await benchOnFakes('reset', 'ok');
  assert.equal(reset.rows[0]!.status, 'device-error', reset.rows[0]!.detail ?? '');
  // A count the 32-bit cycle counter cannot carry is reported, never stored as a latency.
  const long = await benchOnFakes('saturate', 'ok');
  assert.equal(long.rows[0]!.status, 'telemetry-error');
  assert.match(long.rows[0]!.detail ?? '', /3 of 3 inferences took 2\^32 timer ticks or more, more than the dwt count can carry/);
  assert.equal(long.rows[0]!.latency, null);
});

test('openocd failures become rows: no probe, a failed verify', async () => {
  const none = await benchOnFakes('ok', 'no-probe');
  assert.equal(none.rows[0]!.status, 'device-error');
  assert.match(none.rows[0]!.detail ?? '', /^flash: openocd found no probe: exit code 1: openocd -f \S+ .*\n(.*\n)*Error: open failed\n/);
  const verify = await benchOnFakes('ok', 'verify-fail');
  assert.match(verify.rows[0]!.detail ?? '', /^flash: openocd could not verify the flash: exit code 1: openocd -f \S+ .*\n(.*\n)*\*\* Verify Failed \*\*/);
});

test('the real openocd parses every board configuration, and says it found no probe', async () => {
  for (const id of ['f746', 'f412']) {
    const board = await loadBoard(id);
    for (const [name, variant] of Object.entries(board.variants)) {
      const r = await runTool('openocd', ['-f', variant.openocdConfig, '-c', 'shutdown'], { timeoutMs: 20_000 });
      assert.equal(r.exitCode, 0, `${id} ${name}: ${r.stderr}`);
    }
    const outcome = await programBoard(board, board.defaultVariant, join(dir, 'none.elf'), null);
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.failure, 'no-probe', outcome.log);
  }
});

test('two rig processes never drive one board: the second waits, or fails at once with --no-wait', async () => {
  // The first run holds the board until its boot times out.
  await withFakes('silent', async (fakes, caseDir) => {
    const common = [
      'bench',
      '--board',
      'f746',
      '--port',
      fakes.port,
      '--probe',
      'LOCKED01',
      '--model',
      'tiny-cnn',
      '--schedule',
      'layer',
      '--build-dir',
      join(dir, 'build'),
    ];
    const first = spawn(process.execPath, [CLI, ...common, '--db', join(caseDir, 'first.db')], {
      cwd: caseDir,
      env: { ...process.env, ...fakes.env('ok') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let firstErr = '';
    first.stderr.on('data', (d: Buffer) => (firstErr += d.toString()));
    const firstExit = once(first, 'exit');
    while (!firstErr.includes('building')) await once(first.stderr, 'data');
    const second = await rigCli([...common, '--no-wait', '--db', join(caseDir, 'second.db')], caseDir, fakes.env('ok'));
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`f746-LOCKED01 is in use by rig process ${first.pid}`));
    const [code] = (await firstExit) as [number];
    assert.equal(code, 1, firstErr);
    const store = new Store(join(caseDir, 'first.db'));
    try {
      assert.deepEqual(
        store.results(1).map((r) => r.status),
        ['timeout'],
      );
      assert.equal(store.run(1)?.status, 'complete');
    } finally {
      store.close();
    }
  });
});

test('a lab inventory names a board: its variant, probe and port come from the file', async () => {
  await withFakes('ok', async (fakes, caseDir) => {
    const lab = join(caseDir, 'lab.json');
    writeFileSync(lab, JSON.stringify({ boards: [{ name: 'bench-a', board: 'f746', variant: 'disco', probe: 'LABPROBE', port: fakes.port }] }));
    const db = join(caseDir, 'rig.db');
    const r = await rigCli(
      [
        'bench',
        '--board',
        'bench-a',
        '--lab',
        lab,
        '--model',
        'tiny-cnn',
        '--schedule',
        'layer',
        '--runs',
        '1',
        '--json',
        '--db',
        db,
        '--build-dir',
        join(dir, 'build'),
      ],
      caseDir,
      fakes.env('ok'),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as ResultRow[])[0]!.status, 'ok');
    const program = fakes.openocdCalls().find((c) => c.some((a) => a.startsWith('program ')))!;
    assert.deepEqual(program.slice(0, 4), ['-f', 'board/stm32f746g-disco.cfg', '-c', 'adapter serial {LABPROBE}']);
    assert.equal(program[5]!, `program {${flashed('f746-disco-arena-all')}} verify reset exit`);
    const listed = await rigCli(['boards', '--lab', lab], caseDir);
    assert.match(listed.stdout, /bench-a\s+f746\s+disco\s+LABPROBE\s+\/dev\/pts\/\d+\s+not found/);

    writeFileSync(lab, JSON.stringify({ boards: [{ name: 'bench-a', board: 'f746', variant: 'bluepill' }] }));
    const bad = await rigCli(['bench', '--board', 'bench-a', '--lab', lab, '--db', db], caseDir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /lab\.json: boards\[0\]\.variant: expected one of nucleo, disco .*found "bluepill"/);
  });
});

test('a board that already runs the image is not flashed again', async () => {
  await withFakes('ok', async (fakes, caseDir) => {
    const args = (db: string) => [
      'bench',
      '--board',
      'f746',
      '--port',
      fakes.port,
      '--model',
      'tiny-cnn',
      '--schedule',
      'layer',
      '--runs',
      '1',
      '--db',
      join(caseDir, db),
      '--build-dir',
      join(dir, 'build'),
    ];
    const first = await rigCli(args('first.db'), caseDir, fakes.env('ok'));
    assert.equal(first.code, 0, first.stderr);
    const programs = () => fakes.openocdCalls().filter((c) => c.some((a) => a.startsWith('program '))).length;
    assert.equal(programs(), 1);
    const second = await rigCli(args('second.db'), caseDir, fakes.env('ok'));
    assert.equal(second.code, 0, second.stderr);
    assert.equal(programs(), 1, 'the second run flashed again');
  });
});

test('a board whose HSE never starts fails its row with the likely cause and the fix, and is not reset and retried', async () => {
  const board = await loadBoard('f746');
  const { r, rows, run, calls } = await benchOnFakes('clock-hse', 'ok');
  assert.equal(r.code, 1);
  const [row] = rows as [ResultRow];
  assert.equal(row.status, 'device-error');
  assert.equal(
    row.detail,
    'boot: the HSE clock never became ready (firmware error code=clock-hse); the firmware runs on the 16 MHz HSI instead and does not benchmark. ' +
      "NUCLEO-F746ZG takes HSE as an external 8 MHz clock on OSC_IN (HSE bypass), which a NUCLEO board gets from its ST-LINK's MCO output: " +
      'check that the solder bridge from the ST-LINK\'s MCO to OSC_IN is closed (the board\'s user manual, "HSE clock") and that the ST-LINK side of the board is powered. ' +
      `${board.file}: variants.nucleo.hse must describe the board's clock`,
  );
  assert.equal(row.latency, null);
  assert.equal(run?.status, 'complete');
  assert.equal(calls.filter((c) => c.some((a) => a.startsWith('program '))).length, 1);
  assert.equal(calls.filter((c) => c.includes('reset run')).length, 0);
});

test('--arena-ram places the arena for silicon: its own build, the fit check against its size, stored with the run', async () => {
  const { r, rows, run, calls } = await benchOnFakes('ok', 'ok', ['tiny-cnn', 'mcunet-in1'], ['--arena-ram', 'dtcm']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    rows.map((x) => [x.model, x.status]),
    [
      ['tiny-cnn', 'ok'],
      ['mcunet-in1', 'does-not-fit'],
    ],
  );
  assert.equal(
    rows[1]!.detail,
    "mcunet-in1 needs 90 KB of SRAM for its arena (92160 B); f746's arena RAM dtcm (DTCM) has 64 KB (--arena-ram: all (DTCM+SRAM1+SRAM2, 320 KB), dtcm (DTCM, 64 KB), sram1 (SRAM1+SRAM2, 256 KB)); a tiled schedule may fit: `rig plan --budget 65536` with this model names the one with the fewest MACs whose arena fits in 65,536 B, if any, and --schedule auto runs it",
  );
  const program = calls.find((c) => c.some((a) => a.startsWith('program ')))!;
  assert.equal(program[5]!, `program {${flashed('f746-nucleo-arena-dtcm')}} verify reset exit`);
  assert.equal((run?.args as Record<string, unknown>)['arena-ram'], 'dtcm');
  // The default placement is stored too, and builds apart, under another firmware id.
  const plain = await benchOnFakes('ok', 'ok');
  assert.equal((plain.run?.args as Record<string, unknown>)['arena-ram'], 'all');
  assert.notEqual(plain.rows[0]!.firmwareId, rows[0]!.firmwareId);

  const bad = await benchOnFakes('ok', 'ok', ['tiny-cnn'], ['--arena-ram', 'itcm']);
  assert.equal(bad.r.code, 2);
  assert.match(
    bad.r.stderr,
    /--arena-ram itcm: f746 can hold the arena in all \(DTCM\+SRAM1\+SRAM2, 320 KB\), dtcm \(DTCM, 64 KB\), sram1 \(SRAM1\+SRAM2, 256 KB\) \(.*boards\/f746\.json, memory\.arenaRam\)/,
  );
  const emulated = await rigCli(['bench', '--emulate', '--arena-ram', 'dtcm', '--db', join(dir, 'refused.db')], dir);
  assert.equal(emulated.code, 2);
  assert.match(
    emulated.stderr,
    /--arena-ram chooses which SRAM of a physical board holds the arena; it does not go with --emulate \(the emulated f746 links everything into one RAM of 320 KB\)/,
  );
});
