#!/usr/bin/env node
// Runs rig's tests from dist/ with Node's test runner: `unit` (no compiler, no emulator, no
// browser: every *.test.js but *.e2e.test.js), `e2e` (only *.e2e.test.js) or `all`. Node 20's
// `node --test` takes no glob, so the files are listed here, from the sources under rig/: a test
// whose source is gone may still sit in dist/ and must not run. Further arguments go to node
// (e.g. --test-name-pattern=…). Build first: `npm run test:unit` does.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const KINDS = ['unit', 'e2e', 'all'];
const [kind, ...nodeArgs] = process.argv.slice(2);
if (!KINDS.includes(kind)) {
  process.stderr.write(`usage: node scripts/test.mjs ${KINDS.join('|')} [node options]\n`);
  process.exit(2);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const sources = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
const files = sources(join(root, 'rig'))
  .filter((f) => kind === 'all' || (kind === 'e2e') === f.endsWith('.e2e.test.ts'))
  .sort()
  .map((f) => join('dist', relative(root, f)).replace(/\.ts$/, '.js'));

const run = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...nodeArgs, ...files], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
