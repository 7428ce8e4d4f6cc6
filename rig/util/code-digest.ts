// A digest of rig's own code, as built, in some of its folders: a cache keyed on what that code
// computes from its inputs misses once the code changes.
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RIG_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
const digests = new Map<string, Promise<string>>();

/** Hex SHA-256 of the modules (not their tests) directly in `dirs` (below `root`, rig/ by default), read once per process. */
export function codeDigest(dirs: readonly string[], root = RIG_DIR): Promise<string> {
  const id = [root, ...dirs].join('\0');
  let digest = digests.get(id);
  if (digest === undefined) {
    digest = (async () => {
      const hash = createHash('sha256');
      for (const dir of dirs) {
        const files = (await readdir(join(root, dir))).filter((n) => /\.[jt]s$/.test(n) && !n.endsWith('.d.ts') && !n.includes('.test.')).sort();
        for (const f of files) hash.update(`${dir}/${f}\0`).update(await readFile(join(root, dir, f)));
      }
      return hash.digest('hex');
    })();
    digests.set(id, digest);
  }
  return digest;
}
