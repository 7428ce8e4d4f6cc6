import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The package root holds package.json, firmware-templates/ and boards/; the compiled code runs
// from dist/rig/…, the sources from rig/…, so walk up rather than count levels.
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'firmware-templates'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('rig: cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export const ROOT = findRoot();
export const TEMPLATES_DIR = join(ROOT, 'firmware-templates');
export const BOARDS_DIR = join(ROOT, 'boards');
export const RESULTS_DIR = join(ROOT, 'results');
export const BUILD_DIR = join(ROOT, 'build');
