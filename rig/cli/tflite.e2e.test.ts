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
import { DEFAULTS } from '../defaults.js';
import { builtCases, TestNet } from '../model/tflite/testing.js';
import type { ResultRow } from '../results/row.js';
import { crc32, hex32 } from '../util/crc32.js';
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

/** The input file of testdata/inputs.json: byte i is (37·i + 11) mod 256. */
const ramp = (bytes: number) => Uint8Array.from({ length: bytes }, (_, i) => (i * 37 + 11) & 0xff);
const givenInput = (name: string) => (testdata('inputs.json').cases as Record<string, { inputCrc32: number; output: string }>)[name]!;

test("--input feeds a file to the device and --output writes what it computed: TFLite's output for that input, byte for byte", async () => {
  const model = join(dir, 'same-stride2.tflite');
  writeFileSync(model, builtCases()['same-stride2']!);
  const expected = givenInput('same-stride2');
  const input = join(dir, 'ramp.bin');
  writeFileSync(input, ramp(16 * 16 * 3));
  const output = join(dir, 'out.bin');
  const r = await bench(model, ['--input', input, '--output', output, '--schedule', 'layer', '--schedule', 'patch']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as ResultRow[];
  for (const row of rows) {
    assert.equal(row.status, 'ok', row.detail ?? '');
    assert.equal(row.inputCrc32, hex32(expected.inputCrc32));
    assert.equal(row.outputCrc32, hex32(crc32(Buffer.from(expected.output, 'hex'))));
  }
  assert.equal(readFileSync(output).toString('hex'), expected.output);
  // The same input as a .npy array, the output as one.
  const npy = join(dir, 'ramp.npy');
  writeFileSync(npy, Buffer.concat([npyHeader('(1, 16, 16, 3)'), ramp(16 * 16 * 3)]));
  const r2 = await bench(model, ['--input', npy, '--output', join(dir, 'out.npy'), '--schedule', 'stream2d']);
  assert.equal(r2.code, 0, r2.stderr);
  const written = readFileSync(join(dir, 'out.npy'));
  assert.equal(written.subarray(0, 8).toString('latin1'), '\x93NUMPY\x01\x00');
  assert.match(written.subarray(10, 128).toString('latin1'), /^\{'descr': '\|i1', 'fortran_order': False, 'shape': \(1, 1, 1, 8\), \}/);
  assert.equal(written.subarray(written.length - 8).toString('hex'), expected.output);
});

/** A version 1 .npy header of an array of this shape (int8 unless told), padded as NumPy pads it. */
function npyHeader(shape: string, descr = '|i1'): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const text = dict.padEnd(Math.ceil((dict.length + 11) / 64) * 64 - 11) + '\n';
  const length = Buffer.alloc(2);
  length.writeUInt16LE(text.length);
  return Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), length, Buffer.from(text, 'latin1')]);
}

const VWW1 = join(DIR, 'mcunet-5fps_vww.tflite');

test(
  "the released mcunet-5fps_vww file on an input file gives TFLite's output for it, layer-wise and patch-based",
  { skip: existsSync(VWW1) ? false : `no ${VWW1} (set RIG_TFLITE_MODELS to the released files' folder)` },
  async () => {
    const expected = givenInput('mcunet-5fps_vww.tflite');
    const input = join(dir, 'vww-input.bin');
    writeFileSync(input, ramp(80 * 80 * 3));
    const output = join(dir, 'vww-output.bin');
    const r = await bench(VWW1, ['--input', input, '--output', output, '--schedule', 'layer', '--schedule', 'patch']);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as ResultRow[];
    assert.deepEqual(
      rows.map((row) => [row.status, row.inputCrc32, row.outputCrc32]),
      rows.map(() => ['ok', hex32(expected.inputCrc32), hex32(crc32(Buffer.from(expected.output, 'hex')))]),
    );
    assert.equal(readFileSync(output).toString('hex'), expected.output);
  },
);

test('an --input of the wrong size or type, or --output with several models, stops before anything runs', async () => {
  const model = join(dir, 'same-stride2.tflite');
  writeFileSync(model, builtCases()['same-stride2']!);
  const short = join(dir, 'short.bin');
  writeFileSync(short, ramp(100));
  const floats = join(dir, 'floats.npy');
  writeFileSync(floats, Buffer.concat([npyHeader('(1, 16, 16, 3)', '<f4'), Buffer.alloc(768 * 4)]));
  const db = join(dir, 'refused.db');
  for (const [args, message] of [
    [['--input', short], `^rig: --input ${escape(short)}: 100 bytes; same-stride2 takes a 16×16×3 int8 input \\(768 bytes, NHWC\\)$`],
    [['--input', floats], `^rig: ${escape(floats)}: expected an int8 array \\(dtype '\\|i1'\\), found dtype '<f4'$`],
    [['--input', join(dir, 'absent.bin')], `^rig: Cannot read --input ${escape(join(dir, 'absent.bin'))}: ENOENT$`],
    [['--model', 'tiny-cnn', '--output', join(dir, 'x.bin')], `^rig: --output ${escape(join(dir, 'x.bin'))} takes the output of one model; this run has 2$`],
  ] as const) {
    const r = await rigCli(['bench', '--model', model, '--db', db, '--build-dir', join(dir, 'build'), ...args], dir);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(message, 'm'));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  assert.equal(existsSync(db), false, 'nothing stored');
});

test("a TFLite network too big for the board's SRAM: rig plan names both numbers and the schedule that fits, rig bench refuses it before building and runs that schedule", async () => {
  // 256×256×3 in, two stride-2 convolutions: 196,608 B + 262,144 B live at once layer-wise.
  const net = new TestNet(5);
  const x = net.input(256, 256, 3);
  const y = net.conv(net.conv(net.conv(x, { out: 16, k: 3, stride: 2 }), { out: 16, k: 3, stride: 2 }), { out: 8, k: 1 });
  const path = join(dir, 'wide.tflite');
  writeFileSync(path, net.bytes(x, net.avgpool(y)));

  const plan = await rigCli(['plan', '--model', path, '--db', join(dir, 'none.db')], dir);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /^SRAM on f746 {17}466,944 B needed \(arena 458,752 B \+ stack 8,192 B\), 327,680 B available: does not fit$/m);
  const named =
    /^schedule that fits the SRAM {2}(stream2d \d×\d split \d): .*; rig plan and rig bench take --schedule stream2d --patches (\d) --split (\d)$/m.exec(
      plan.stdout,
    );
  assert.ok(named !== null, plan.stdout);
  assert.match(plan.stdout, /^flash on f746 {16}199,952 B needed .*: fits$/m);

  const [, label, patches, split] = named;
  const r = await bench(path, ['--schedule', 'layer', '--schedule', 'stream2d', '--patches', patches!, '--split', split!]);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as ResultRow[];
  assert.deepEqual(
    rows.map((row) => [row.model, `${row.schedule}${row.schedule === 'layer' ? '' : ` ${patches}×${patches} split ${split}`}`, row.status]),
    [
      ['wide', 'layer', 'does-not-fit'],
      ['wide', label, 'ok'],
    ],
  );
  assert.match(
    rows[0]!.detail!,
    /^wide needs 456 KB of SRAM \(arena 458752 B \+ stack 8192 B\); f746 has 320 KB; a tiled schedule may fit: `rig plan --budget 319488`/,
  );
  assert.equal(rows[0]!.firmwareId, null, 'nothing built');
  assert.ok(!existsSync(join(dir, 'build', 'f746-qemu', DEFAULTS.kernels, 'wide-layer')), 'no sources generated');
  assert.equal(rows[1]!.memory.measuredArenaBytes, rows[1]!.memory.plannedArenaBytes);
});

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
