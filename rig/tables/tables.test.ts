// The mcunet-zoo table's released-file columns: the arena of the imported .tflite file (analytic),
// its image flash and run read from the stored rows of the model named after the file, and notes
// that say which is which; the folder the files come from is checked before anything is read.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModel } from '../config/model.js';
import type { Model } from '../model/ir.js';
import { importTflite } from '../model/tflite/import.js';
import { builtCases } from '../model/tflite/testing.js';
import type { ResultRow } from '../results/row.js';
import { UserError } from '../util/errors.js';
import { render } from './paper-table.js';
import { loadReleased, mcunetZooTable, type MeasuredSource, type StoredRows } from './tables.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-tables-unit-'));
/** A small MCUNet-style block written as a TFLite file: its layer-wise arena is 4,608 B, nothing like mcunet-in0's 46,080 B. */
const BLOCK = builtCases()['mcunet-block']!;
const BLOCK_ARENA = 4_608;

const src: MeasuredSource = { db: 'results.db', board: 'f746', runner: 'qemu', seed: 1, found: true };
const f746 = { id: 'f746', flashBytes: 1_048_576 };

/** An ok row of `model` under `schedule` with the given image flash, as the store returns it. */
function row(runId: number, model: string, flashBytes: number, schedule = 'layer', options: Record<string, number> = {}): ResultRow {
  return {
    runId,
    model,
    schedule: schedule as ResultRow['schedule'],
    scheduleOptions: options,
    board: 'f746',
    runner: 'qemu',
    status: 'ok',
    detail: null,
    latency: { unit: 'instructions', n: 1, min: 1, median: 1, max: 1 },
    samples: [1],
    memory: { plannedArenaBytes: 1, measuredArenaBytes: 1, stackBytes: 1, flashBytes, staticRamBytes: 1, paperPeakBytes: 1 },
    macs: 1,
    layerwiseMacs: 1,
    outputCrc32: '00000000',
    referenceCrc32: '00000000',
    inputCrc32: null,
    profile: null,
    kernelVariant: 'dsp',
    firmwareId: '00000000',
    seed: 1,
  };
}

/** Newest first, as Store.measured gives them. */
const stored: StoredRows = (model) =>
  ({
    'mcunet-in0': [row(3, 'mcunet-in0', 951_784)],
    'mcunet-10fps_imagenet': [row(9, 'mcunet-10fps_imagenet', 612_345, 'patch', { patches: 2, split: 4 }), row(7, 'mcunet-10fps_imagenet', 953_000)],
  })[model] ?? [];

/** The fields of one CSV record (quoted fields hold commas; no quotes or line breaks inside them here). */
function fields(record: string): string[] {
  const out: string[] = [];
  for (let rest = record; ;) {
    const m = /^("[^"]*"|[^,]*)(,?)/.exec(rest)!;
    out.push(m[1]!.replace(/^"|"$/g, ''));
    if (m[2] === '') return out;
    rest = rest.slice(m[0].length);
  }
}

let zoo: Model[] | undefined;
const twoNetworks = async () => (zoo ??= [await loadModel('mcunet-in0', 1), await loadModel('mcunet-vww1', 1)]);

test("the released file's arena is its imported plan's, its image flash and run its own stored layer-wise row's", async () => {
  const imported = importTflite(BLOCK, 'mcunet-10fps_imagenet', 1);
  const table = mcunetZooTable(await twoNetworks(), stored, src, { dir: '/models', models: new Map([['mcunet-in0', imported]]) }, f746);
  const [in0, vww1] = table.rows as [Record<string, { value: unknown; text: string }>, Record<string, { value: unknown; text: string }>];
  assert.equal(in0['releasedFile']!.text, 'mcunet-10fps_imagenet.tflite');
  assert.equal(in0['arenaReleasedBytes']!.value, BLOCK_ARENA);
  assert.equal(in0['arenaPlannedBytes']!.value, 46_080, "the built-in twin's arena stays beside it");
  assert.equal(in0['flashReleasedBytes']!.value, 953_000, 'the layer-wise row, not the newer patch row');
  assert.equal(in0['releasedRun']!.text, 'run 7');
  assert.equal(in0['flashMeasuredBytes']!.value, 951_784);
  assert.equal(in0['run']!.text, 'run 3');
  assert.equal(in0['flashReleasedDiff']!.text, '+4.7%', '953,000 B against the published 889 kB');
  assert.equal(vww1['releasedFile']!.text, 'mcunet-5fps_vww.tflite');
  for (const key of ['arenaReleasedBytes', 'flashReleasedBytes', 'flashReleasedDiff', 'releasedRun']) assert.equal(vww1[key]!.value, null, key);

  const notes = table.notes.join('\n');
  assert.match(
    notes,
    /Released files: the MCUNet zoo's int8 \.tflite files \(real weights\) read from \/models, each imported as `rig plan --model \/models\/mcunet-10fps_imagenet\.tflite`/,
  );
  assert.match(notes, /It differs from the seeded twin's for mcunet-in0\. Not in \/models, so "-": mcunet-5fps_vww\.tflite\./);
  assert.match(notes, /the model named after the file \(mcunet-10fps_imagenet for mcunet-10fps_imagenet\.tflite/);
  assert.deepEqual(table.releasedFrom, { dir: '/models', missing: ['mcunet-5fps_vww.tflite'] });

  // md, csv and json carry the same columns and values.
  const md = render(table, 'md');
  assert.match(md, /\| arena B, layer-wise, released file: analytic \(rig plan\) \|/);
  assert.match(md, /\| mcunet-in0 +\| mcunet-10fps_imagenet\.tflite +\|.*\| +4,608 \|.*\| +953,000 \|.*\| run 7 +\|$/m);
  const [header, in0Csv, vww1Csv] = render(table, 'csv').split('\r\n').map(fields) as [string[], string[], string[]];
  assert.deepEqual(
    header,
    table.columns.map((c) => c.header),
  );
  const at = (record: string[], key: string) => record[table.columns.findIndex((c) => c.key === key)];
  assert.deepEqual(
    ['releasedFile', 'arenaReleasedBytes', 'flashReleasedBytes', 'releasedRun'].map((k) => at(in0Csv, k)),
    ['mcunet-10fps_imagenet.tflite', '4,608', '953,000', 'run 7'],
  );
  assert.deepEqual(
    ['releasedFile', 'arenaReleasedBytes', 'flashReleasedBytes', 'releasedRun'].map((k) => at(vww1Csv, k)),
    ['mcunet-5fps_vww.tflite', '', '', ''],
    'nothing released for mcunet-vww1: empty fields',
  );
  const json = JSON.parse(render(table, 'json')) as { rows: Record<string, unknown>[]; releasedFrom: unknown };
  assert.deepEqual(
    [json.rows[0]!['arenaReleasedBytes'], json.rows[0]!['flashReleasedBytes'], json.rows[0]!['releasedRun'], json.rows[1]!['arenaReleasedBytes']],
    [BLOCK_ARENA, 953_000, 7, null],
  );
  assert.deepEqual(json.releasedFrom, { dir: '/models', missing: ['mcunet-5fps_vww.tflite'] });
});

test('without --tflite-dir the released arena is "-" and a note says how to fill it; stored rows of the files still show', async () => {
  const table = mcunetZooTable(await twoNetworks(), stored, src, undefined, f746);
  assert.ok(table.rows.every((r) => r['arenaReleasedBytes']!.value === null));
  assert.equal(table.rows[0]!['flashReleasedBytes']!.value, 953_000);
  const notes = table.notes.join('\n');
  assert.match(
    notes,
    /Released files: no --tflite-dir given, so the released file's arena is "-"; `rig tables mcunet-zoo --tflite-dir DIR`, DIR the folder holding the MCUNet zoo's int8 \.tflite files named in the released-file column, fills it\./,
  );
  assert.match(notes, /`rig bench --model DIR\/mcunet-10fps_imagenet\.tflite --schedule layer --db results\.db` stores one/);
  assert.doesNotMatch(notes, /exceed f746's/, 'both networks fit the flash');
  assert.deepEqual(table.releasedFrom, { dir: null, missing: [] });
});

test("a network whose weights exceed the board's flash is named in a note with both numbers", async () => {
  const in4 = await loadModel('mcunet-in4', 1);
  const table = mcunetZooTable([in4], () => [], { ...src, found: false }, undefined, f746);
  assert.match(
    table.notes.join('\n'),
    /mcunet-in4's weights \(1,927,480 B\) exceed f746's 1,048,576 B of flash whatever the schedule \(the weights are in flash\): rig bench refuses it before building/,
  );
  assert.match(table.notes.join('\n'), /Measured columns: no results database at results\.db/);
});

test('loadReleased imports the files a folder holds and refuses a folder that is missing or holds none', async () => {
  const models = join(dir, 'models');
  mkdirSync(models);
  writeFileSync(join(models, 'mcunet-10fps_imagenet.tflite'), BLOCK);
  writeFileSync(join(models, 'unrelated.tflite'), BLOCK);
  const released = await loadReleased(models, ['mcunet-in0', 'mcunet-vww1'], 1);
  assert.equal(released.dir, models);
  assert.deepEqual([...released.models.keys()], ['mcunet-in0']);
  assert.equal(released.models.get('mcunet-in0')!.name, 'mcunet-10fps_imagenet');
  assert.deepEqual(await loadReleased(undefined, ['mcunet-in0'], 1), { dir: null, models: new Map() });

  const usage = (message: RegExp) => (e: unknown) => e instanceof UserError && e.exitCode === 2 && message.test(e.message);
  await assert.rejects(loadReleased(join(dir, 'nowhere'), ['mcunet-in0'], 1), usage(/--tflite-dir .*nowhere: no such folder; expected the folder holding/));
  await assert.rejects(loadReleased(models, ['mcunet-vww1'], 1), usage(/--tflite-dir .*models holds none of the released files \(mcunet-5fps_vww\.tflite\)/));
  const broken = join(dir, 'broken');
  mkdirSync(broken);
  writeFileSync(join(broken, 'mcunet-10fps_imagenet.tflite'), 'not a flatbuffer');
  await assert.rejects(
    loadReleased(broken, ['mcunet-in0'], 1),
    (e: unknown) => e instanceof UserError && e.message.startsWith(`${join(broken, 'mcunet-10fps_imagenet.tflite')}: `),
  );
});
