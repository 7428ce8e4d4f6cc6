import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec } from '../model/spec.js';
import { readInputFile, withInput, writeOutputFile } from './input.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-input-'));
// A 4×5×3 input, and a 1×1×2 output.
const model = lowerModel(
  parseModelSpec({ name: 'small', input: [4, 5, 3], blocks: [{ type: 'conv2d', out: 2, k: 1, act: 'none' }, { type: 'avgpool' }] }, 'small'),
  1,
);

/** A .npy file: magic, the version, the header's length in 2 or 4 bytes, the header, the data. */
function npy(header: string, data: Uint8Array, version = 1): Buffer {
  const length = Buffer.alloc(version === 1 ? 2 : 4);
  if (version === 1) length.writeUInt16LE(header.length);
  else length.writeUInt32LE(header.length);
  return Buffer.concat([Buffer.from('\x93NUMPY', 'latin1'), Buffer.from([version, 0]), length, Buffer.from(header, 'latin1'), data]);
}
const file = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
const bytes = Uint8Array.from({ length: 60 }, (_, i) => (i * 5) & 0xff);
const header = (descr: string, shape: string, fortran = 'False') => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }\n`;

test('raw bytes and .npy arrays (version 1 or 2, with or without the batch axis) become the input, byte for byte', async () => {
  for (const path of [
    file('raw.bin', bytes),
    file('batch.npy', npy(header('|i1', '(1, 4, 5, 3)'), bytes)),
    file('hwc.npy', npy(header('i1', '(4, 5, 3)'), bytes, 2)),
  ]) {
    const fed = withInput(model, await readInputFile(path));
    assert.deepEqual(new Uint8Array(fed.inputData.buffer), bytes, path);
    assert.notDeepEqual(model.inputData, fed.inputData);
  }
});

test('an input of another size, shape or type, or not a .npy, is refused with what was expected and found', async () => {
  const refused = async (name: string, data: Uint8Array, message: string) => {
    const path = file(name, data);
    await assert.rejects((async () => withInput(model, await readInputFile(path)))(), (e: Error) => e.message === message.replace('PATH', path));
  };
  await refused('short.bin', bytes.subarray(1), '--input PATH: 59 bytes; small takes a 4×5×3 int8 input (60 bytes, NHWC)');
  await refused(
    'shape.npy',
    npy(header('|i1', '(5, 4, 3)'), bytes),
    '--input PATH: an array of shape (5, 4, 3); small takes a 4×5×3 int8 input (60 bytes, NHWC)',
  );
  await refused('float.npy', npy(header('<f4', '(4, 5, 3)'), new Uint8Array(240)), "PATH: expected an int8 array (dtype '|i1'), found dtype '<f4'");
  await refused('fortran.npy', npy(header('|i1', '(4, 5, 3)', 'True'), bytes), 'PATH: expected a C-ordered array, found fortran_order True');
  await refused(
    'cut.npy',
    npy(header('|i1', '(4, 5, 3)'), bytes.subarray(10)),
    'PATH: the array of shape (4, 5, 3) holds 60 bytes, the file 50 after its header',
  );
  await refused('header.npy', npy(header('|i1', '(4, 5, 3)'), new Uint8Array(0)).subarray(0, 20), 'PATH: the .npy header is cut short');
  await refused('magic.npy', bytes, 'PATH: expected a NumPy .npy file (magic \\x93NUMPY), found other bytes');
  await refused('version.npy', npy(header('|i1', '(4, 5, 3)'), bytes, 4), 'PATH: expected .npy format version 1, 2 or 3, found 4');
  await assert.rejects(readInputFile(join(dir, 'absent.bin')), { message: `Cannot read --input ${join(dir, 'absent.bin')}: ENOENT` });
});

test('the output is written raw, or as a .npy array of the output shape that reads back', async () => {
  const out = Uint8Array.of(7, 250);
  const raw = join(dir, 'out.bin');
  await writeOutputFile(raw, model, out);
  assert.deepEqual(new Uint8Array(readFileSync(raw)), out);
  const path = join(dir, 'out.npy');
  await writeOutputFile(path, model, out);
  const written = readFileSync(path);
  // NumPy's own layout: the header padded with spaces to a 64-byte boundary, ending in a newline.
  assert.equal((10 + written.readUInt16LE(8)) % 64, 0);
  assert.equal(written[10 + written.readUInt16LE(8) - 1], 0x0a);
  const back = await readInputFile(path);
  assert.deepEqual(back.shape, [1, 1, 1, 2]);
  assert.deepEqual(new Uint8Array(back.bytes.buffer, back.bytes.byteOffset, back.bytes.length), out);
});
