// A model's input from a file (`--input`): raw int8 bytes in the model's NHWC order, or a NumPy
// .npy array of int8; and the device's output written the same two ways (`--output`).
import { readFile, writeFile } from 'node:fs/promises';
import type { Model } from '../model/ir.js';
import { UserError } from '../util/errors.js';
import { formatInt } from '../util/format.js';

const NPY_MAGIC = '\x93NUMPY';

/** An input file's bytes, with the shape a .npy file declares (null for raw bytes). */
export interface InputFile {
  path: string;
  bytes: Int8Array;
  shape: readonly number[] | null;
}

const isNpy = (path: string) => path.toLowerCase().endsWith('.npy');

/** The array of a version 1, 2 or 3 .npy file, which must hold C-ordered int8. */
function parseNpy(path: string, file: Uint8Array): InputFile {
  const bad = (what: string) => new UserError(`${path}: ${what}`, { exitCode: 2 });
  if (file.length < 10 || Buffer.from(file.subarray(0, 6)).toString('latin1') !== NPY_MAGIC)
    throw bad('expected a NumPy .npy file (magic \\x93NUMPY), found other bytes');
  const major = file[6]!;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const [lengthBytes, headerLength] =
    major === 1 ? [2, view.getUint16(8, true)] : major === 2 || major === 3 ? [4, file.length >= 12 ? view.getUint32(8, true) : -1] : [0, -1];
  if (lengthBytes === 0) throw bad(`expected .npy format version 1, 2 or 3, found ${major}`);
  const start = 8 + lengthBytes + headerLength;
  if (headerLength < 0 || start > file.length) throw bad('the .npy header is cut short');
  const header = Buffer.from(file.subarray(8 + lengthBytes, start)).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw bad(`expected a .npy header with descr, fortran_order and shape, found ${JSON.stringify(header.trim())}`);
  if (!['|i1', 'i1', '<i1', '>i1'].includes(descr)) throw bad(`expected an int8 array (dtype '|i1'), found dtype '${descr}'`);
  if (fortran === 'True') throw bad('expected a C-ordered array, found fortran_order True');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  if (file.length - start !== count)
    throw bad(`the array of shape (${shape.join(', ')}) holds ${formatInt(count)} bytes, the file ${formatInt(file.length - start)} after its header`);
  return { path, bytes: new Int8Array(file.buffer, file.byteOffset + start, count), shape };
}

export async function readInputFile(path: string): Promise<InputFile> {
  let file: Uint8Array;
  try {
    file = new Uint8Array(await readFile(path));
  } catch (error) {
    throw new UserError(`Cannot read --input ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { exitCode: 2 });
  }
  return isNpy(path) ? parseNpy(path, file) : { path, bytes: new Int8Array(file.buffer, file.byteOffset, file.length), shape: null };
}

/** The model fed `input` instead of its seeded input; the bytes (and a .npy's shape) must be its input tensor's. */
export function withInput(model: Model, input: InputFile): Model {
  const shape = model.tensors[model.input]!.shape;
  const wanted = `${model.name} takes a ${shape.join('×')} int8 input (${formatInt(model.inputData.length)} bytes, NHWC)`;
  if (input.bytes.length !== model.inputData.length)
    throw new UserError(`--input ${input.path}: ${formatInt(input.bytes.length)} bytes; ${wanted}`, { exitCode: 2 });
  if (input.shape !== null) {
    const given = input.shape[0] === 1 && input.shape.length === shape.length + 1 ? input.shape.slice(1) : input.shape;
    if (given.join('×') !== shape.join('×'))
      throw new UserError(`--input ${input.path}: an array of shape (${input.shape.join(', ')}); ${wanted}`, { exitCode: 2 });
  }
  return { ...model, inputData: Int8Array.from(input.bytes) };
}

function le16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

/** Writes `bytes`, the model's output tensor, to `path`: a .npy array of shape (1, …) for a .npy name, else the raw bytes. */
export async function writeOutputFile(path: string, model: Model, bytes: Uint8Array): Promise<void> {
  let data = bytes;
  if (isNpy(path)) {
    const shape = [1, ...model.tensors[model.output]!.shape];
    let header = `{'descr': '|i1', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
    // Magic, version 1.0, the header's length, then the header padded with spaces to a multiple of 64 and a newline.
    header = header.padEnd(Math.ceil((10 + header.length + 1) / 64) * 64 - 10 - 1) + '\n';
    const prefix = Buffer.concat([Buffer.from(NPY_MAGIC, 'latin1'), Buffer.from([1, 0]), le16(header.length), Buffer.from(header, 'latin1')]);
    data = new Uint8Array(Buffer.concat([prefix, bytes]));
  }
  try {
    await writeFile(path, data);
  } catch (error) {
    throw new UserError(`Cannot write --output ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { exitCode: 2 });
  }
}
