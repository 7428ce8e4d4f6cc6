// `rig bench --model FILE.tflite` end to end in QEMU: small networks (SAME padding at stride 2, its
// odd row and column after the input; a residual ADD, RESHAPE, FULLY_CONNECTED; k×k average pools,
// MEAN, SOFTMAX, a float file input and output through QUANTIZE and DEQUANTIZE) under all four
// schedules, and the released MCUNet file of mcunet-in0 when at hand, each bit-exact with TFLite's
// reference kernels' output as recorded from TensorFlow; a file rig cannot import stops the
// command with the file named and no stack.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { builtCases, TestNet } from '../model/tflite/testing.js';
import type { ResultRow } from '../results/row.js';
import { hex32 } from '../util/crc32.js';
import { ROOT } from '../util/paths.js';
import { rigCli } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-tflite-'));
const testdata = (file: string) => JSON.parse(readFileSync(join(ROOT, 'rig', 'model', 'tflite', 'testdata', file), 'utf8')) as Record<string, unknown>;
/** A path as a regular expression that matches it literally. */
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const bench = (model: string, extra: string[] = []) =>
  rigCli(['bench', '--model', model, '--json', '--runs', '1', '--warmup', '0', '--db', join(dir, 'rig.db'), '--build-dir', join(dir, 'build'), ...extra], dir);

test('TFLite networks (SAME padding at stride 2; a residual ADD, RESHAPE and FULLY_CONNECTED) run bit-exact with TFLite under every schedule', async () => {
  const names = ['same-stride2', 'dense-relu'];
  const recorded = testdata('built.json').cases as Record<string, { outputCrc32: number }>;
  const paths = names.map((name) => join(dir, `${name}.tflite`));
  names.forEach((name, i) => writeFileSync(paths[i]!, builtCases()[name]!));
  const r = await bench(paths[0]!, ['--model', paths[1]!, '--split', '2']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as ResultRow[];
  assert.deepEqual(
    rows.map((row) => [row.model, row.schedule, row.status]),
    names.flatMap((name) => ['layer', 'patch', 'stream1d', 'stream2d'].map((s) => [name, s, 'ok'])),
  );
  for (const row of rows) {
    const expected = hex32(recorded[row.model]!.outputCrc32);
    assert.equal(row.referenceCrc32, expected, `${row.model} ${row.schedule}`);
    assert.equal(row.outputCrc32, expected, `${row.model} ${row.schedule}`);
    assert.equal(row.memory.measuredArenaBytes, row.memory.plannedArenaBytes, `${row.model} ${row.schedule}`);
  }
});

test('k×k average pools, MEAN, SOFTMAX and a float file edged by QUANTIZE and DEQUANTIZE run bit-exact with TFLite, the pools and a softmax in tiled stages', async () => {
  const recorded = testdata('built.json').cases as Record<string, { outputCrc32: number }>;
  const write = (name: string) => {
    const path = join(dir, `${name}.tflite`);
    writeFileSync(path, builtCases()[name]!);
    return path;
  };
  // Split 4: the stage holds float-edges' two pools and softmax-spatial's softmax and pool.
  const tiled = await bench(write('float-edges'), ['--model', write('softmax-spatial'), '--split', '4']);
  assert.equal(tiled.code, 0, tiled.stderr);
  // mean-wide is whole-tensor past its first op; the softmaxes straight on the input: layer-wise.
  const whole = await bench(write('mean-wide'), ['--model', write('softmax-rows'), '--model', write('softmax-uniform'), '--schedule', 'layer']);
  assert.equal(whole.code, 0, whole.stderr);
  const rows = [...(JSON.parse(tiled.stdout) as ResultRow[]), ...(JSON.parse(whole.stdout) as ResultRow[])];
  assert.deepEqual(
    rows.map((row) => [row.model, row.schedule, row.status]),
    [
      ...['float-edges', 'softmax-spatial'].flatMap((name) => ['layer', 'patch', 'stream1d', 'stream2d'].map((s) => [name, s, 'ok'])),
      ['mean-wide', 'layer', 'ok'],
      ['softmax-rows', 'layer', 'ok'],
      ['softmax-uniform', 'layer', 'ok'],
    ],
  );
  for (const row of rows) {
    const expected = hex32(recorded[row.model]!.outputCrc32);
    assert.equal(row.referenceCrc32, expected, `${row.model} ${row.schedule}`);
    assert.equal(row.outputCrc32, expected, `${row.model} ${row.schedule}`);
    assert.equal(row.memory.measuredArenaBytes, row.memory.plannedArenaBytes, `${row.model} ${row.schedule}`);
  }
});

const DIR = process.env.RIG_TFLITE_MODELS ?? '/work/shared/models/tflite';
const IN0 = join(DIR, 'mcunet-10fps_imagenet.tflite');

test(
  "the released mcunet-in0 file runs layer-wise and streamed, bit-exact with TFLite, in its zoo twin's arena",
  { skip: existsSync(IN0) ? false : `no ${IN0} (set RIG_TFLITE_MODELS to the released files' folder)` },
  async () => {
    const expected = hex32((testdata('released.json').files as Record<string, { outputCrc32: number }>)['mcunet-10fps_imagenet.tflite']!.outputCrc32);
    const r = await bench(IN0, ['--schedule', 'layer', '--schedule', 'stream2d']);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as ResultRow[];
    assert.deepEqual(
      rows.map((row) => [row.model, row.status, row.outputCrc32, row.memory.measuredArenaBytes]),
      // The arena of mcunet-in0 under the same schedules (rig/schedule/testdata/zoo-plans.json).
      [
        ['mcunet-10fps_imagenet', 'ok', expected, 46_080],
        ['mcunet-10fps_imagenet', 'ok', expected, 22_992],
      ],
    );
  },
);

test('a file rig cannot import stops the command, naming the file and the operator', async () => {
  const net = new TestNet(4);
  const x = net.input(8, 8, 2);
  const path = join(dir, 'maxpool.tflite');
  writeFileSync(path, net.bytes(x, net.maxpool(net.conv(x, { out: 2, k: 1 }))));
  const r = await rigCli(['plan', '--model', path], dir);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    new RegExp(
      `^rig: ${escape(path)}: operator 1 is MAX_POOL_2D \\(version 2; inputs "conv0"; outputs "maxpool1"\\), which rig cannot import; supported: ADD,`,
      'm',
    ),
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const junk = join(dir, 'junk.tflite');
  writeFileSync(junk, 'not a model at all');
  const j = await rigCli(['plan', '--model', junk], dir);
  assert.equal(j.code, 2);
  assert.match(j.stderr, new RegExp(`^rig: ${escape(junk)}: not a TFLite file: expected the file identifier "TFL3" at bytes 4\\.\\.8, found "a mo"$`, 'm'));
});
