// A model by built-in name, by path to a user's JSON spec, or by path to an int8 TFLite file.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { lowerModel } from '../model/lower.js';
import type { Model } from '../model/ir.js';
import { parseModelSpec } from '../model/spec.js';
import { TfliteError } from '../model/tflite/errors.js';
import { BUILTIN_MODELS } from '../model/zoo.js';
import { UserError } from '../util/errors.js';
import { readJsonFile } from './json.js';

export async function loadModel(nameOrPath: string, seed: number): Promise<Model> {
  const builtin = BUILTIN_MODELS.get(nameOrPath);
  if (builtin !== undefined) return lowerModel(parseModelSpec(builtin, `built-in model ${nameOrPath}`), seed);
  if (nameOrPath.endsWith('.tflite')) return loadTflite(nameOrPath, seed);
  if (!nameOrPath.endsWith('.json')) {
    throw new UserError(
      `Unknown model "${nameOrPath}": expected a built-in name (${[...BUILTIN_MODELS.keys()].join(', ')}), a path to a .json model spec or a path to an int8 .tflite file`,
    );
  }
  const spec = parseModelSpec(await readJsonFile(nameOrPath), nameOrPath);
  return lowerModel(spec, seed, nameOrPath);
}

/**
 * The name of a TFLite file's model, which its stored rows carry: the file's base name
 * (`mcunet-10fps_imagenet`). It goes into paths and C strings: anything but letters, digits, "_",
 * "." and "-" becomes "-".
 */
export function tfliteModelName(file: string): string {
  return basename(file, '.tflite').replace(/[^A-Za-z0-9_.-]/g, '-');
}

/** An int8 TFLite file with its own weights, named after the file (`mcunet-10fps_imagenet`). */
async function loadTflite(file: string, seed: number): Promise<Model> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (error) {
    throw new UserError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const name = tfliteModelName(file);
  const { importTflite } = await import('../model/tflite/import.js'); // flatbuffers only when a file is read
  try {
    return importTflite(bytes, name, seed);
  } catch (error) {
    if (error instanceof TfliteError) throw new UserError(`${file}: ${error.message}`, { exitCode: 2 });
    throw error;
  }
}
