// End to end through the real parts: the CLI generates C, arm-none-eabi-gcc builds it, QEMU runs
// it, serialport reads its pty, SQLite stores the rows.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchRecord, recordedBench } from '../bench/testing.js';
import Database from 'better-sqlite3';
import type { ResultRow } from '../results/row.js';
import { Store } from '../store/db.js';
import { DEFAULTS } from '../defaults.js';
import { CLI, rigCli } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-e2e-'));
const rig = (args: string[]) => rigCli(args, dir);

// Odd shapes for every kernel: non-square input, stride 2 on odd sizes, k=5 and k=7, padding 0,
// no activation, depthwise in place and not, residual adds (expand 1 and 3), odd channel counts.
const oddSpec = {
  name: 'odd-shapes',
  input: [13, 9, 5],
  blocks: [
    { type: 'conv2d', out: 7, k: 3, stride: 2, act: 'relu6' },
    { type: 'mbconv', expand: 1, out: 7, k: 5, stride: 1 },
    { type: 'mbconv', expand: 3, out: 7, k: 3, stride: 1 },
    { type: 'dwconv2d', k: 5, stride: 1, act: 'relu' },
    { type: 'mbconv', expand: 2.5, out: 9, k: 7, stride: 2 },
    { type: 'dwconv2d', k: 7, stride: 2, act: 'none' },
    { type: 'conv2d', out: 11, k: 1, act: 'relu' },
    { type: 'conv2d', out: 6, k: 2, stride: 1, pad: 0, act: 'none' },
    { type: 'avgpool' },
    { type: 'fc', out: 3, act: 'relu' },
  ],
};

test('rig bench --json runs a model and odd shapes under every schedule in QEMU bit-exact, stores the rows, and repeats exactly', async () => {
  const db = join(dir, 'rig.db');
  const specPath = join(dir, 'odd.json');
  writeFileSync(specPath, JSON.stringify(oddSpec));
  const args = ['bench', '--board', 'f746', '--emulate', '--model', 'tiny-cnn', '--model', specPath, '--json', '--db', db, '--build-dir', join(dir, 'build')];
  const first = await rig(args);
  assert.equal(first.code, 0, first.stderr);
  const rows = JSON.parse(first.stdout) as ResultRow[];
  // Every model under every schedule (the default), model by model.
  assert.deepEqual(
    rows.map((r) => `${r.model} ${r.schedule}`),
    ['tiny-cnn', 'odd-shapes'].flatMap((m) => ['layer', 'patch', 'stream1d', 'stream2d'].map((s) => `${m} ${s}`)),
  );
  for (const row of rows) {
    assert.equal(row.status, 'ok', `${row.model}/${row.schedule}: ${row.detail}`);
    assert.equal(row.board, 'f746');
    assert.equal(row.runner, 'qemu');
    assert.equal(row.latency?.unit, 'instructions');
    assert.equal(row.latency?.n, 5);
    assert.ok(row.latency!.min > 0);
    // With -icount the instruction count of one inference never varies.
    assert.equal(row.latency!.min, row.latency!.max);
    assert.equal(row.memory.measuredArenaBytes, row.memory.plannedArenaBytes);
    assert.equal(row.outputCrc32, row.referenceCrc32);
    assert.ok(row.memory.stackBytes! > 0 && row.memory.flashBytes! > 0 && row.memory.staticRamBytes! >= 0);
    assert.ok(row.macs > 0);
    // The profiling pass: every operator's steps summed, within 2% of the timed inference; only
    // the input copy, the region copies and a few instructions around them are outside.
    const profile = row.profile!;
    const layers = profile.layers.reduce((a, l) => a + l.latency, 0);
    assert.equal(
      profile.layers.reduce((a, l) => a + l.macs, 0),
      row.macs,
    );
    assert.ok(
      Math.abs(layers - row.latency!.median) <= 0.02 * row.latency!.median,
      `${row.model}/${row.schedule}: layers ${layers}, whole ${row.latency!.median}`,
    );
    assert.equal(layers + profile.input + profile.copies + profile.rest, profile.total);
    assert.ok(
      profile.input > 0 && profile.rest >= 0 && (row.schedule === 'stream1d' || row.schedule === 'stream2d' ? profile.copies > 0 : profile.copies === 0),
    );
  }
  assert.equal(rows[0]!.memory.plannedArenaBytes, 6144);

  // The profile of a stored row, layer by layer: as a table, and as JSON equal to the row's.
  const layers = await rig(['results', '--layers', '2', '--db', db]);
  assert.equal(layers.code, 0, layers.stderr);
  assert.match(layers.stdout, /#\s+layer\s+operator\s+output\s+MACs\s+instructions \(emulated\)\s+per MAC\s+share/);
  for (const l of rows[1]!.profile!.layers) assert.match(layers.stdout, new RegExp(`\\b${l.name}\\s+${l.op}\\s+${l.shape.join('×')}\\s`));
  assert.match(layers.stdout, /Row 2: tiny-cnn patch 2×2 split \d+ on f746 \(qemu\)[^]*Outside them: the input copy [\d,]+, region copies 0/);
  const json = JSON.parse((await rig(['results', '--layers', '2', '--json', '--db', db])).stdout) as { id: number };
  assert.deepEqual(json, { id: 2, unit: 'instructions', ...rows[1]!.profile });
  const unknown = await rig(['results', '--layers', '99', '--db', db]);
  assert.deepEqual([unknown.code, unknown.stderr.trim()], [2, `rig: No result row 99 in ${db} (the id column of rig results)`]);
  assert.match(first.stderr, /Stored run 1/);

  const store = new Store(db);
  try {
    assert.deepEqual(store.results(1), rows);
    const runRow = store.run(1)!;
    assert.equal(runRow.status, 'complete');
    assert.equal(runRow.runner, 'qemu');
    assert.match(runRow.toolchain['gcc'] ?? '', /arm-none-eabi-gcc/);
    assert.match(runRow.toolchain['qemu'] ?? '', /QEMU emulator version/);
  } finally {
    store.close();
  }
  // The run keeps the options as given, each once under its command-line name, with what they resolved to.
  const raw = new Database(db, { readonly: true });
  const stored = JSON.parse((raw.prepare('SELECT args_json FROM runs WHERE id = 1').get() as { args_json: string }).args_json) as unknown;
  raw.close();
  assert.deepEqual(stored, {
    board: 'f746',
    emulate: true,
    wait: true,
    'arena-ram': null,
    model: ['tiny-cnn', specPath],
    kernels: DEFAULTS.kernels,
    seed: 1,
    warmup: 1,
    runs: 5,
    timeout: 60_000,
    db,
    'build-dir': join(dir, 'build'),
    json: true,
    csv: false,
  });

  const second = await rig(args);
  assert.equal(second.code, 0, second.stderr);
  const again = JSON.parse(second.stdout) as ResultRow[];
  assert.deepEqual(
    again.map((r) => [r.latency, r.outputCrc32, r.memory]),
    rows.map((r) => [r.latency, r.outputCrc32, r.memory]),
  );
});

test('rig bench with no arguments runs a small zoo network under all four schedules, side by side, in emulated instructions', async () => {
  const r = await rig(['bench', '--db', join(dir, 'table.db'), '--build-dir', join(dir, 'build')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /instructions \(emulated\)/);
  assert.doesNotMatch(r.stdout, /\bms\b/);
  for (const schedule of ['layer', 'patch 2×2 split \\d+', 'stream1d 2×2 split \\d+', 'stream2d 2×2 split \\d+']) {
    assert.match(r.stdout, new RegExp(`mcunet-in0\\s+${schedule}\\s+${DEFAULTS.kernels}\\s+f746\\s+qemu\\s+ok`));
    assert.match(r.stdout, new RegExp(`mcunet-in0\\s+${schedule}\\s+ok\\s+[\\d,]+\\s+= planned`));
  }
  // stream2d computes every stage pixel once: the layer-wise MAC count; patch recomputes halos.
  assert.match(r.stdout, /mcunet-in0\s+stream2d 2×2 split \d+\s+ok\s+[\d,]+\s+= planned\s+-\s+6,364,224\s+1\.000×/);
  assert.match(r.stdout, /mcunet-in0\s+patch 2×2 split \d+\s+ok\s+[\d,]+\s+= planned\s+[\d,]+\s+[\d,]+\s+1\.0[1-9]\d×/);
  assert.match(r.stdout, /geometric mean\s+\d+\.\d%\s+1\.\d+×/);
  // Emulated instructions are deterministic: the counts, CRCs and arenas recorded in
  // rig/bench/testdata/default-bench.json for the default kernel variant hold until a change to
  // kernels or plans is meant to move them (dsp.e2e.test.ts checks the reference kernels' record).
  const recorded = recordedBench()[DEFAULTS.kernels];
  const store = new Store(join(dir, 'table.db'));
  try {
    const measured = store.results(1).map(benchRecord);
    assert.deepEqual(measured, recorded);
  } finally {
    store.close();
  }
});

test('rig bench --board f746 without a probe fails fast, says what it looked for and how to emulate', async () => {
  const db = join(dir, 'hw.db');
  const r = await rig(['bench', '--board', 'f746', '--db', db]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /No ST-LINK probe found for f746/);
  assert.match(r.stderr, /0483:374b/);
  assert.match(r.stderr, /rig bench --board f746 --emulate/);
  assert.equal(r.stdout, '');
});

test('a malformed model spec is rejected with its path before anything runs', async () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ name: 'bad', input: [8, 8, 3], blocks: [{ type: 'conv2d', out: 4, k: 'three' }] }));
  const db = join(dir, 'bad.db');
  const r = await rig(['bench', '--model', bad, '--db', db]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: blocks\\[0\\]\\.k: .*expected number.*found "three"`));
});

test('Ctrl-C stops the run, leaves no QEMU behind and marks the run interrupted', async () => {
  const db = join(dir, 'int.db');
  const buildDir = join(dir, 'build-int');
  const child = spawn(process.execPath, [CLI, 'bench', '--model', 'tiny-cnn', '--schedule', 'layer', '--runs', '1000', '--db', db, '--build-dir', buildDir], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!sent && stderr.includes('timed inferences')) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 130, stderr);
  assert.match(stderr, /Interrupted/);
  const qemus = (() => {
    try {
      return execFileSync('pgrep', ['-f', buildDir]).toString().trim();
    } catch {
      return ''; // pgrep exits 1 when nothing matches
    }
  })();
  assert.equal(qemus, '', 'a QEMU process is still running');
  const store = new Store(db);
  try {
    assert.equal(store.run(1)?.status, 'interrupted');
    assert.deepEqual(store.results(1), []);
  } finally {
    store.close();
  }
});

test('rig doctor lists the toolchain with versions', async () => {
  const r = await rig(['doctor', '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const tools = JSON.parse(r.stdout) as { name: string; ok: boolean; version: string }[];
  const byName = new Map(tools.map((t) => [t.name, t]));
  assert.match(byName.get('arm-none-eabi-gcc')!.version, /arm-none-eabi-gcc/);
  assert.match(byName.get('qemu-system-arm')!.version, /QEMU emulator version 7/);
  assert.ok(
    tools.every((t) => t.ok),
    JSON.stringify(tools),
  );
});

test('mcunet-vww1 runs bit-exact layer-wise and patch-based with measured arena equal to the plan; a network too big for the board is a does-not-fit row', async () => {
  const db = join(dir, 'zoo.db');
  const r = await rig([
    'bench',
    '--emulate',
    '--board',
    'f746',
    '--model',
    'mcunet-vww1',
    '--model',
    'mcunet-in4',
    '--schedule',
    'layer',
    '--schedule',
    'patch',
    '--patches',
    '2',
    '--split',
    '3',
    '--runs',
    '1',
    '--warmup',
    '0',
    '--db',
    db,
    '--build-dir',
    join(dir, 'build'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`mcunet-vww1\\s+layer\\s+${DEFAULTS.kernels}\\s+f746\\s+qemu\\s+ok`));
  assert.match(r.stdout, new RegExp(`mcunet-vww1\\s+patch 2×2 split 3\\s+${DEFAULTS.kernels}\\s+f746\\s+qemu\\s+ok`));
  assert.match(r.stdout, /mcunet-vww1: planned arena 89,600 B, measured 89,600 B; TinyEngine's layer-wise plan: 93,992 B/);
  assert.match(r.stdout, /mcunet-vww1 patch 2×2 split 3: planned arena 33,968 B, measured 33,968 B; TinyEngine's patch-based plan: 62,352 B/);
  assert.match(r.stdout, new RegExp(`mcunet-in4\\s+layer\\s+${DEFAULTS.kernels}\\s+f746\\s+qemu\\s+does-not-fit`));
  assert.match(r.stdout, /mcunet-in4 needs 408 KB of SRAM \(arena 409600 B \+ stack 8192 B\); f746 has 320 KB/);
  // The schedules side by side: real and paper peaks, MACs and instructions against layer-wise.
  assert.match(r.stdout, /mcunet-vww1\s+patch 2×2 split 3\s+ok\s+33,968\s+= planned\s+31,096\s+11,739,520\s+1\.014×\s+[\d,]+\s+1\.0\d\d×/);
  const store = new Store(db);
  try {
    const rows = store.results(1);
    assert.deepEqual(
      rows.map((row) => [row.model, row.schedule, row.status]),
      [
        ['mcunet-vww1', 'layer', 'ok'],
        ['mcunet-vww1', 'patch', 'ok'],
        ['mcunet-in4', 'layer', 'does-not-fit'],
        ['mcunet-in4', 'patch', 'does-not-fit'],
      ],
    );
    for (const row of rows.slice(0, 2)) assert.equal(row.outputCrc32, row.referenceCrc32);
    assert.equal(rows[0]!.macs, 11_578_816);
    assert.deepEqual(rows[1]!.scheduleOptions, { patches: 2, split: 3 });
    assert.equal(rows[1]!.layerwiseMacs, 11_578_816);
    assert.equal(rows[1]!.memory.measuredArenaBytes, rows[1]!.memory.plannedArenaBytes);
  } finally {
    store.close();
  }
});

test('impossible patch settings are refused before anything is built or stored', async () => {
  const db = join(dir, 'refused.db');
  const alone = await rig(['bench', '--schedule', 'layer', '--patches', '2', '--db', db]);
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /--patches and --split go with --schedule patch, stream1d or stream2d/);
  const pool = await rig(['bench', '--model', 'tiny-cnn', '--schedule', 'stream2d', '--split', '4', '--db', db]);
  assert.equal(pool.code, 2);
  assert.match(pool.stderr, /--split 4: block 3 of tiny-cnn is avgpool \(b3_avgpool\); a split after a global pool/);
  const big = await rig(['bench', '--model', 'tiny-cnn', '--schedule', 'patch', '--patches', '17', '--split', '1', '--db', db]);
  assert.equal(big.code, 2);
  assert.match(big.stderr, /--patches 17: expected a whole number from 1 to 16 \(the stage output of tiny-cnn at split 1 is 16×16\)/);
  assert.equal(existsSync(db), false);
});

test('rig bench --schedule auto runs the plan the search chooses within the budget', async () => {
  const db = join(dir, 'auto.db');
  const r = await rig([
    'bench',
    '--model',
    'mcunet-vww1',
    '--schedule',
    'auto',
    '--budget',
    '40KB',
    '--runs',
    '1',
    '--warmup',
    '0',
    '--json',
    '--db',
    db,
    '--build-dir',
    join(dir, 'build'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const [row] = JSON.parse(r.stdout) as ResultRow[];
  assert.match(r.stderr, /mcunet-vww1: --schedule auto chose stream2d \d×\d split \d+ \(\d+ plans, arena ≤ 40,960 B \(--budget 40KB\)\)/);
  assert.equal(row!.status, 'ok', row!.detail ?? '');
  assert.equal(row!.schedule, 'stream2d');
  assert.ok(row!.memory.plannedArenaBytes <= 40_960 && row!.memory.measuredArenaBytes === row!.memory.plannedArenaBytes);
  assert.equal(row!.macs, 11_578_816);
  const stray = await rig(['bench', '--schedule', 'layer', '--budget', '40KB', '--db', db]);
  assert.equal(stray.code, 2);
  assert.match(stray.stderr, /--budget goes with --schedule auto/);
});

test('rig boards lists the variants and says no probe is attached', async () => {
  const r = await rig(['boards']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /f746\s+disco\s+32F746GDISCOVERY\s+board\/stm32f746g-disco\.cfg\s+USART1 PA9\/PB7/);
  assert.match(r.stdout, /No ST-LINK probe is attached \(looked for USB serial ports with ids 0483:3748, 0483:374b/);
  const json = JSON.parse((await rig(['boards', '--json'])).stdout) as { probes: unknown[]; boards: { id: string }[] };
  assert.deepEqual(json.probes, []);
  assert.deepEqual(
    json.boards.map((b) => b.id),
    ['f412', 'f746'],
  );
});

test('benches of one case with other seeds at once, in one build folder, each run their own image', async () => {
  // The case's folder is one link for every seed; each process must run the image it built or
  // found in the cache, not whichever the link points to when its emulator starts.
  const buildDir = join(dir, 'shared-build');
  const bench = (seed: number) =>
    rig([
      'bench',
      '--model',
      'tiny-cnn',
      '--schedule',
      'layer',
      '--seed',
      String(seed),
      '--runs',
      '1',
      '--warmup',
      '0',
      '--json',
      '--build-dir',
      buildDir,
      '--db',
      join(dir, `seed-${seed}.db`),
    ]);
  const seeds = [1, 2, 3, 4];
  for (const round of ['cold', 'warm']) {
    const results = await Promise.all(seeds.map(bench));
    results.forEach((r, i) => {
      assert.equal(r.code, 0, `${round} seed ${seeds[i]}: ${r.stderr}`);
      const [row] = JSON.parse(r.stdout) as ResultRow[];
      assert.equal(row!.status, 'ok', `${round} seed ${seeds[i]}: ${row!.detail}`);
      assert.equal(row!.seed, seeds[i]);
    });
  }
});

test('an emulator that fails to start or hangs is a device-error row, and the next case still runs', async () => {
  const real = execFileSync('sh', ['-c', 'command -v qemu-system-arm'], { encoding: 'utf8' }).trim();
  for (const [fault, firstRun, detail] of [
    ['exits', 'echo "qemu-system-arm: cannot start (simulated)" >&2; exit 1', /^boot: QEMU did not start: .*cannot start \(simulated\)/s],
    ['hangs', 'exec sleep 600', /^boot: QEMU did not start: .* printed nothing matching .* within \d+ ms$/s],
  ] as const) {
    // A qemu-system-arm first on PATH whose first run fails so; later runs (and --version) are the real one.
    const bin = join(dir, `qemu-${fault}`);
    mkdirSync(bin);
    const marker = join(bin, 'ran');
    writeFileSync(
      join(bin, 'qemu-system-arm'),
      `#!/bin/sh\n[ "$1" = --version ] && exec "${real}" "$@"\nif [ ! -e "${marker}" ]; then : > "${marker}"; ${firstRun}; fi\nexec "${real}" "$@"\n`,
    );
    chmodSync(join(bin, 'qemu-system-arm'), 0o755);
    const r = await rigCli(
      [
        'bench',
        '--model',
        'tiny-cnn',
        '--schedule',
        'layer',
        '--schedule',
        'patch',
        '--runs',
        '1',
        '--warmup',
        '0',
        '--json',
        '--db',
        join(dir, `qemu-${fault}.db`),
      ],
      dir,
      { PATH: `${bin}:${process.env['PATH']}` },
    );
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const rows = JSON.parse(r.stdout) as ResultRow[];
    assert.deepEqual(
      rows.map((row) => [row.schedule, row.status]),
      [
        ['layer', 'device-error'],
        ['patch', 'ok'],
      ],
      fault,
    );
    assert.match(rows[0]!.detail!, detail, `${fault}: ${rows[0]!.detail}`);
  }
});
