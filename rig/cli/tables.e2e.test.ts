import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { planFor } from '../bench/bench.js';
import { loadModel } from '../config/model.js';
import { modelMacs, type Model } from '../model/ir.js';
import { importTflite } from '../model/tflite/import.js';
import { builtCases } from '../model/tflite/testing.js';
import type { ScheduleName } from '../schedule/plan.js';
import type { ResultRow, RunnerKind } from '../results/row.js';
import { Store } from '../store/db.js';
import { rigCli } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-tables-'));
/** A database path that does not exist: analytic tables must not need one, nor create it. */
const absent = join(dir, 'absent.db');
const rig = (args: string[]) => rigCli(['tables', ...args], dir);

/** RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks; CRLF ends a record. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      field = '';
      record = [];
      i++;
    } else field += ch;
  }
  assert.equal(field + record.join(''), '', 'the last record ends with CRLF');
  return records;
}

/** The cells of a markdown table by header, one map per body row, for the rows whose first cell is `first`. */
function mdRow(md: string, first: string): Map<string, string> {
  const lines = md.split('\n').filter((l) => l.startsWith('|'));
  const cells = (l: string) =>
    l
      .slice(1, -1)
      .split(' | ')
      .map((c) => c.trim());
  const headers = cells(lines[0]!);
  const line = lines.find((l) => cells(l)[0] === first);
  assert.ok(line !== undefined, `no row ${first} in\n${md}`);
  return new Map(cells(line).map((c, i) => [headers[i]!, c]));
}

test("mcunetv2-table1 puts MCUNetV2's 1372 kB → 172 kB beside the rig's 1372.0 kB → 171.5 kB, exact bytes in JSON", async () => {
  const md = await rig(['mcunetv2-table1', '--db', absent]);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /\| 1372 kB → 172 kB\s+\| 1372\.0 kB → 171\.5 kB \(1,404,928 B → 175,616 B\)\s+\|/);
  assert.match(md.stdout, /largest patch input\s+\| 75×75\s+\| 75×75\s+\| same/);
  assert.match(md.stdout, /patch-stage MAC overhead\s+\| \+42%\s+\| \+30\.6% clipped; \+41\.9% unclipped\s+\|/);
  assert.match(md.stdout, /overall MAC overhead\s+\| \+10%\s+\| \+9\.3% clipped; \+12\.7% unclipped\s+\|/);
  assert.match(md.stdout, /kB = 1024 B/);
  // MCUNetV2's per-patch peak is the whole network's; the stage's own peak stands beside it.
  assert.match(md.stdout, /\| peak memory of the whole network, per-layer → with the 4×4 patch stage \(MCUNetV2 metric, kB = 1024 B\)\s+\| 1372 kB → 172 kB/);
  assert.match(
    md.stdout,
    /\| the patch stage's own peak: [^|]+\| -\s+\| 158\.5 kB \(162,288 B\); the rest, layer-wise: 175,616 B, the network's peak\s+\| -\s+\|/,
  );
  assert.match(md.stdout, /Here the rest sets it; MCUNetV2's Table 1 gives no figure for the stage alone\./);

  const json = await rig(['mcunetv2-table1', '--format', 'json', '--db', absent]);
  assert.equal(json.code, 0, json.stderr);
  const t = JSON.parse(json.stdout) as { table: string; columns: { key: string }[]; rows: Record<string, unknown>[]; notes: string[] };
  assert.equal(t.table, 'mcunetv2-table1');
  const row = (id: string) => t.rows.find((r) => r['id'] === id)!;
  assert.deepEqual(row('peak')['published'], { layerwiseKB: 1372, patchKB: 172 });
  assert.deepEqual(row('peak')['rig'], { layerwiseBytes: 1_404_928, patchBytes: 175_616 });
  assert.deepEqual(row('stagePeak')['rig'], { stageBytes: 162_288, restBytes: 175_616 });
  assert.equal(row('stagePeak')['published'], null);
  assert.deepEqual(row('patchInput')['rig'], { h: 75, w: 75 });
  assert.equal(row('reduction')['rig'], 8);
  assert.deepEqual(row('stageMacs')['rig'], { layerwise: 91_282_688, clipped: 119_202_032, unclipped: 129_517_568 });
  assert.equal((row('stageOverhead')['rig'] as { unclipped: number }).unclipped.toFixed(3), '0.419');
  assert.equal(row('stageOverhead')['published'], 0.42);
  assert.deepEqual(row('arena')['rig'], { layerwiseBytes: 1_404_928, patchBytes: 200_704 });
  assert.equal(row('arena')['published'], null);
  assert.ok(!existsSync(absent), 'no database is created');
});

test("msf-cnn prints msf-CNN's exact MAC counts beside the rig's and its points against the search", async () => {
  const r = await rig(['msf-cnn', '--db', absent]);
  assert.equal(r.code, 0, r.stderr);
  for (const [name, macs, peak] of [
    ['msf-mbv2-w0.35-r144', '18,909,490', '194,400'],
    ['msf-vww-5fps-r80', '11,578,496', '96,000'],
    ['msf-mcunet-320kb-r176', '81,625,520', '309,760'],
  ] as const) {
    const n = name.replace(/\./g, '\\.');
    assert.match(r.stdout, new RegExp(`\\| ${n}\\s+\\| MACs, layer-wise\\s+\\|\\s+${macs} \\|\\s+${macs} \\|\\s+0 \\(0\\.00%\\) \\|`));
    assert.match(r.stdout, new RegExp(`\\| ${n}\\s+\\| layer-wise peak B, msf-CNN's metric\\s+\\|\\s+${peak} \\|\\s+${peak} \\|`));
    assert.match(
      r.stdout,
      new RegExp(
        `\\| ${n}\\s+\\| MACs ≤ 1\\.1× layer-wise: .*\\|\\s+[\\d,]+ B at [\\d,]+ MACs \\(stream2d \\d×\\d split \\d+\\) \\|\\s+-[\\d.]+%: as good or better \\|`,
      ),
    );
  }
  assert.match(r.stdout, /\|\s+7,887 B at 31,758,160 MACs \|\s+24,948 B at 18,909,490 MACs \(stream2d 5×5 split 13\) \|\s+\+216\.3%: not reached \|/);
});

test("csv is RFC 4180: every record has the header row's fields, numbers with commas quoted", async () => {
  const zoo = await rig(['mcunet-zoo', '--format', 'csv', '--db', absent]);
  assert.equal(zoo.code, 0, zoo.stderr);
  const records = parseCsv(zoo.stdout);
  assert.equal(records.length, 11);
  assert.equal(records[0]!.length, 20);
  for (const rec of records) assert.equal(rec.length, 20, rec.join(','));
  const header = records[0]!;
  const in0 = records.find((r) => r[0] === 'mcunet-in0')!;
  assert.equal(in0[header.indexOf('MACs: analytic (rig plan)')], '6,364,224');
  assert.equal(in0[header.indexOf('MACs: published')], '6.4M');
  assert.equal(in0[header.indexOf('stored run (f746 qemu)')], '', 'nothing measured: an empty field');
  assert.ok(zoo.stdout.includes('"6,364,224"'));

  const t1 = parseCsv((await rig(['mcunetv2-table1', '--format', 'csv', '--db', absent])).stdout);
  assert.deepEqual(t1[0], ['quantity', 'MCUNetV2: published', 'rig: analytic (rig plan)', 'difference', 'rig source']);
  assert.ok(t1.length === 10 && t1.every((rec) => rec.length === 5));
  assert.equal(t1[1]![2], '1372.0 kB → 171.5 kB (1,404,928 B → 175,616 B)');
});

const RUN_INFO = { gitRevision: null, host: 'lab', toolchain: { gcc: 'arm-none-eabi-gcc 12.2.1' }, args: {} };

/** A stored row as rig bench writes it for this plan, with the given latency. */
async function storedRow(
  runId: number,
  model: string | Model,
  schedule: ScheduleName,
  runner: RunnerKind,
  median: number,
  extra: { patches?: number; status?: ResultRow['status']; flashBytes?: number } = {},
): Promise<ResultRow> {
  const m = typeof model === 'string' ? await loadModel(model, 1) : model;
  const plan = planFor(schedule === 'layer' ? { model: m, schedule } : { model: m, schedule, patches: extra.patches });
  const unit = runner === 'qemu' ? 'instructions' : 'cycles';
  return {
    runId,
    model: m.name,
    schedule: plan.schedule,
    scheduleOptions: { ...plan.options },
    board: 'f746',
    runner,
    status: extra.status ?? 'ok',
    detail: null,
    latency: { unit, n: 3, min: median, median, max: median },
    samples: [median, median, median],
    memory: {
      plannedArenaBytes: plan.arenaBytes,
      measuredArenaBytes: plan.arenaBytes,
      stackBytes: 264,
      flashBytes: extra.flashBytes ?? 1_000_000,
      staticRamBytes: 1_296,
      paperPeakBytes: plan.paperPeakBytes,
    },
    macs: plan.macs,
    layerwiseMacs: modelMacs(m),
    outputCrc32: '5be0a1c3',
    referenceCrc32: '5be0a1c3',
    inputCrc32: null,
    profile: null,
    kernelVariant: 'reference',
    firmwareId: '1f2e3d4c',
    seed: 1,
  };
}

/** Three runs: an emulated one, a newer emulated one (a newer stream2d row, a patch row at another grid), and one on silicon. */
async function seededDb(): Promise<{ path: string; runs: number[] }> {
  const path = join(dir, 'results.db');
  const store = new Store(path);
  const start = (runner: RunnerKind) => store.startRun({ ...RUN_INFO, startedAt: new Date().toISOString(), board: 'f746', runner });
  const first = start('qemu');
  store.addResult(await storedRow(first, 'mcunet-in0', 'layer', 'qemu', 72_728_320, { flashBytes: 951_784 }));
  store.addResult(await storedRow(first, 'mcunet-in0', 'patch', 'qemu', 79_459_120));
  store.addResult(await storedRow(first, 'mcunet-in0', 'stream2d', 'qemu', 72_881_120));
  store.addResult(await storedRow(first, 'mcunet-in0', 'stream1d', 'qemu', 75_936_160, { status: 'mismatch' }));
  store.finishRun(first, 'complete');
  const second = start('qemu');
  store.addResult(await storedRow(second, 'mcunet-in0', 'stream2d', 'qemu', 72_881_160));
  store.addResult(await storedRow(second, 'mcunet-in0', 'patch', 'qemu', 99_999_999, { patches: 3 }));
  store.finishRun(second, 'complete');
  const silicon = start('hardware');
  store.addResult(await storedRow(silicon, 'mcunet-vww1', 'patch', 'hardware', 31_234_567));
  store.addResult(await storedRow(silicon, 'mcunet-vww1', 'stream2d', 'hardware', 30_123_456));
  store.finishRun(silicon, 'complete');
  store.close();
  return { path, runs: [first, second, silicon] };
}

test('streamnet shows the stored instructions of the default plans, the newest ok row of each, and "-" elsewhere', async () => {
  const { path, runs } = await seededDb();
  const [first, second, silicon] = runs as [number, number, number];
  const r = await rig(['streamnet', '--db', path]);
  assert.equal(r.code, 0, r.stderr);
  const in0 = mdRow(r.stdout, 'mcunet-in0');
  const col = (schedule: string) => `${schedule}: instructions (emulated), measured (f746 qemu)`;
  assert.equal(in0.get(col('layer')), '72,728,320');
  assert.equal(in0.get(col('patch')), '79,459,120', 'a patch row at another grid is another plan');
  assert.equal(in0.get(col('stream2d')), '72,881,160', 'the newest ok row');
  assert.equal(in0.get(col('stream1d')), '-', 'a mismatch row is no measurement');
  assert.equal(in0.get('stored runs (f746 qemu)'), `layer ${first}, patch ${first}, stream2d ${second}`);
  assert.equal(in0.get('MACs patch: analytic (rig plan)'), '6,784,416');
  assert.equal(in0.get('patch / stream2d instructions (emulated): measured (f746 qemu)'), `${(79_459_120 / 72_881_160).toFixed(3)}×`);
  const vww1 = mdRow(r.stdout, 'mcunet-vww1');
  for (const s of ['layer', 'patch', 'stream1d', 'stream2d']) assert.equal(vww1.get(col(s)), '-', `silicon rows are not emulated ones (${s})`);
  assert.equal(vww1.get('MACs stream2d: analytic (rig plan)'), '11,578,816');
  const mean = mdRow(r.stdout, 'geometric mean');
  assert.equal(mean.get('MACs saved: StreamNet, published'), '81%');
  assert.equal(mean.get('patch / stream2d latency: StreamNet, published'), '7.3×');
  assert.equal(mean.get('patch / stream2d instructions (emulated): measured (f746 qemu)'), `${(79_459_120 / 72_881_160).toFixed(3)}× (1 of 10)`);
  assert.ok(!r.stdout.includes('99,999,999') && !r.stdout.includes('31,234,567'));
  assert.match(r.stdout, /`rig bench --model zoo --db [^`]+` stores them/);
  assert.match(r.stdout, /method, not of setup/);

  const hw = await rig(['streamnet', '--db', path, '--runner', 'hardware', '--format', 'json']);
  assert.equal(hw.code, 0, hw.stderr);
  const t = JSON.parse(hw.stdout) as { columns: { key: string; header: string }[]; rows: Record<string, unknown>[]; measuredFrom: { runner: string } };
  assert.equal(t.columns.find((c) => c.key === 'latency_patch')!.header, 'patch: cycles, measured (f746 hardware)');
  assert.ok(!t.columns.some((c) => c.header.includes('instructions')));
  const hwVww1 = t.rows.find((row) => row['model'] === 'mcunet-vww1')!;
  assert.deepEqual([hwVww1['latency_patch'], hwVww1['latency_stream2d'], hwVww1['latency_layer']], [31_234_567, 30_123_456, null]);
  assert.deepEqual(hwVww1['runs'], { layer: null, patch: silicon, stream1d: null, stream2d: silicon });
  assert.equal(t.rows.find((row) => row['model'] === 'mcunet-in0')!['latency_patch'], null);

  const zoo = await rig(['mcunet-zoo', '--db', path]);
  assert.equal(zoo.code, 0, zoo.stderr);
  const zin0 = mdRow(zoo.stdout, 'mcunet-in0');
  assert.equal(zin0.get('arena B, layer-wise: measured (f746 qemu)'), '46,080');
  assert.equal(zin0.get('image flash B: measured (f746 qemu)'), '951,784');
  assert.equal(zin0.get('stored run (f746 qemu)'), `run ${first}`);
  assert.equal(mdRow(zoo.stdout, 'mcunet-vww1').get('stored run (f746 qemu)'), '-');
});

/** A small TFLite network saved under the name of mcunet-in0's released file: its layer-wise arena is 4,608 B. */
const RELEASED_BLOCK = builtCases()['mcunet-block']!;

test("mcunet-zoo puts the released file's analytic arena (--tflite-dir) and its stored image flash beside the published SRAM and flash, alike in md, csv and json", async () => {
  const models = join(dir, 'released');
  mkdirSync(models);
  writeFileSync(join(models, 'mcunet-10fps_imagenet.tflite'), RELEASED_BLOCK);
  const path = join(dir, 'released.db');
  const store = new Store(path);
  const run = store.startRun({ ...RUN_INFO, startedAt: new Date().toISOString(), board: 'f746', runner: 'qemu' });
  const imported = importTflite(RELEASED_BLOCK, 'mcunet-10fps_imagenet', 1);
  store.addResult(await storedRow(run, imported, 'layer', 'qemu', 21_272_600, { flashBytes: 864_632 }));
  store.addResult(await storedRow(run, 'mcunet-in0', 'layer', 'qemu', 20_155_560, { flashBytes: 865_408 }));
  store.finishRun(run, 'complete');
  store.close();

  const md = await rig(['mcunet-zoo', '--db', path, '--tflite-dir', models]);
  assert.equal(md.code, 0, md.stderr);
  const in0 = mdRow(md.stdout, 'mcunet-in0');
  assert.equal(in0.get('released file (MCUNet zoo)'), 'mcunet-10fps_imagenet.tflite');
  assert.equal(in0.get('arena B, layer-wise, released file: analytic (rig plan)'), '4,608');
  assert.equal(in0.get('arena B, layer-wise: analytic (rig plan)'), '46,080');
  assert.equal(in0.get('image flash B, released file: measured (f746 qemu)'), '864,632');
  assert.equal(in0.get('image flash B: measured (f746 qemu)'), '865,408');
  assert.equal(in0.get('released image vs flash'), '-5.0%');
  assert.equal(in0.get('stored run, released file (f746 qemu)'), `run ${run}`);
  const vww1 = mdRow(md.stdout, 'mcunet-vww1');
  assert.equal(vww1.get('released file (MCUNet zoo)'), 'mcunet-5fps_vww.tflite');
  assert.equal(vww1.get('arena B, layer-wise, released file: analytic (rig plan)'), '-');
  assert.match(md.stdout, new RegExp(`Released files: the MCUNet zoo's int8 \\.tflite files \\(real weights\\) read from ${models}`));
  assert.match(md.stdout, /Not in .*released, so "-": mbv2-w0\.35-r144_imagenet\.tflite, .* and mcunet-320kb-1mb_vww\.tflite\./);
  assert.match(md.stdout, /mcunet-in4's weights \(1,927,480 B\) exceed f746's 1,048,576 B of flash whatever the schedule/);

  const csv = parseCsv((await rig(['mcunet-zoo', '--db', path, '--tflite-dir', models, '--format', 'csv'])).stdout);
  const header = csv[0]!;
  const csvIn0 = csv.find((r) => r[0] === 'mcunet-in0')!;
  assert.equal(csvIn0[header.indexOf('arena B, layer-wise, released file: analytic (rig plan)')], '4,608');
  assert.equal(csvIn0[header.indexOf('image flash B, released file: measured (f746 qemu)')], '864,632');
  assert.equal(csv.find((r) => r[0] === 'mcunet-vww1')![header.indexOf('arena B, layer-wise, released file: analytic (rig plan)')], '');

  const json = await rig(['mcunet-zoo', '--db', path, '--tflite-dir', models, '--json']);
  const t = JSON.parse(json.stdout) as { rows: Record<string, unknown>[]; notes: string[]; releasedFrom: { dir: string; missing: string[] } };
  const jsonIn0 = t.rows.find((r) => r['model'] === 'mcunet-in0')!;
  assert.deepEqual(
    [jsonIn0['releasedFile'], jsonIn0['arenaReleasedBytes'], jsonIn0['flashReleasedBytes'], jsonIn0['releasedRun']],
    ['mcunet-10fps_imagenet.tflite', 4_608, 864_632, run],
  );
  assert.equal(t.releasedFrom.dir, models);
  assert.equal(t.releasedFrom.missing.length, 9);
  assert.deepEqual(
    t.notes,
    md.stdout.split('\n').filter((l) => t.notes.includes(l)),
    'the same notes as the markdown',
  );

  // Without the folder: "-" and how to fill it; the stored rows of the file still show.
  const without = await rig(['mcunet-zoo', '--db', path]);
  assert.equal(without.code, 0, without.stderr);
  assert.equal(mdRow(without.stdout, 'mcunet-in0').get('arena B, layer-wise, released file: analytic (rig plan)'), '-');
  assert.equal(mdRow(without.stdout, 'mcunet-in0').get('image flash B, released file: measured (f746 qemu)'), '864,632');
  assert.match(without.stdout, /no --tflite-dir given, so the released file's arena is "-"; `rig tables mcunet-zoo --tflite-dir DIR`/);

  for (const [args, message] of [
    [
      ['mcunet-zoo', '--tflite-dir', join(dir, 'nowhere')],
      /--tflite-dir .*nowhere: no such folder; expected the folder holding the MCUNet zoo's released int8 \.tflite files/,
    ],
    [['mcunet-zoo', '--tflite-dir', dir], /--tflite-dir .* holds none of the released files \(mbv2-w0\.35-r144_imagenet\.tflite, /],
    [['streamnet', '--tflite-dir', models], /--tflite-dir goes with rig tables mcunet-zoo/],
  ] as const) {
    const r = await rig([...args, '--db', absent]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '');
  }
});

test('an unknown table or format is a usage error naming the choices', async () => {
  const r = await rig(['mcunetv3-table9']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Unknown table "mcunetv3-table9": expected one of mcunet-zoo, mcunetv2-table1, msf-cnn, streamnet/);
  assert.equal(r.stdout, '');
  const none = await rig([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /mcunet-zoo, mcunetv2-table1, msf-cnn, streamnet/);
  const format = await rig(['streamnet', '--format', 'xml']);
  assert.equal(format.code, 2);
  assert.match(format.stderr, /format/);
});
