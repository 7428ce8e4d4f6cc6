// The reference interpreter's output CRC, cached on disk below the build folder: keyed on the
// model's content (rig/model/digest.ts), the seed and the interpreter's own code, so that a warm
// re-run of a case does not interpret the model again.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { imageCacheDir } from '../compile/firmware.js';
import { modelDigest } from '../model/digest.js';
import type { Model } from '../model/ir.js';
import { referenceOutput } from '../model/reference.js';
import { codeDigest } from '../util/code-digest.js';
import { crc32, hex32 } from '../util/crc32.js';

/** The CRC-32 of the reference interpreter's output for the model's own input. */
export function computeReferenceCrc32(model: Model): string {
  return hex32(crc32(referenceOutput(model)));
}

/** Where a case's reference CRCs are kept: beside the images, in the build folder's cache. */
export function referenceCacheDir(buildRoot: string): string {
  return join(imageCacheDir(buildRoot), 'reference');
}

/**
 * The reference output CRC of `model` built from `seed`, from the cache in `buildRoot` when it
 * holds it; else computed and stored (by a rename, so that a reader never sees half a file).
 */
export async function referenceCrc32(model: Model, seed: number, buildRoot: string): Promise<{ crc32: string; cached: boolean }> {
  const key = createHash('sha256')
    .update(modelDigest(model))
    .update(`seed ${seed}`)
    .update(await codeDigest(['model', 'ops'])) // the interpreter's code: a change to an op's reference misses
    .digest('hex')
    .slice(0, 32);
  const dir = referenceCacheDir(buildRoot);
  const file = join(dir, `${key}.json`);
  try {
    const stored = (JSON.parse(await readFile(file, 'utf8')) as { crc32?: unknown }).crc32;
    if (typeof stored === 'string' && /^[0-9a-f]{8}$/.test(stored)) return { crc32: stored, cached: true };
  } catch {
    // absent or unreadable: computed again below
  }
  const crc = computeReferenceCrc32(model);
  await mkdir(dir, { recursive: true });
  const temp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  await writeFile(temp, JSON.stringify({ model: model.name, seed, crc32: crc }));
  await rename(temp, file);
  return { crc32: crc, cached: false };
}
