// The image cache through the real compiler: a second build of the same case is served from the
// cache with the same build id, without running gcc or the code generator; any change of an input
// misses; a partial or damaged entry is never used; two builds of one key at once are safe.
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildDirFor, planFor } from '../bench/bench.js';
import { computeReferenceCrc32 } from '../bench/reference-cache.js';
import { loadBoard } from '../config/board.js';
import { loadModel } from '../config/model.js';
import { TEMPLATES_DIR } from '../util/paths.js';
import { buildFirmware, emulatedTarget, imageCacheDir, type BuildOutcome } from './firmware.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-cache-'));
// A copy of the templates with `mirror`, the reference kernels under another name.
const templates = join(dir, 'templates');
cpSync(TEMPLATES_DIR, templates, { recursive: true });
cpSync(join(templates, 'kernels', 'reference'), join(templates, 'kernels', 'mirror'), { recursive: true });

/** An arm-none-eabi-gcc that fails whatever it is asked, first on PATH: a build that still succeeds ran no compiler. */
const noGcc = join(dir, 'no-gcc');
mkdirSync(noGcc);
writeFileSync(join(noGcc, 'arm-none-eabi-gcc'), '#!/bin/sh\necho "gcc must not run" >&2\nexit 1\n');
chmodSync(join(noGcc, 'arm-none-eabi-gcc'), 0o755);

async function withoutGcc<T>(f: () => Promise<T>): Promise<T> {
  const path = process.env['PATH'];
  process.env['PATH'] = `${noGcc}:${path}`;
  try {
    return await f();
  } finally {
    process.env['PATH'] = path;
  }
}

interface Case {
  seed?: number;
  kernels?: string;
  templatesDir?: string;
  buildRoot?: string;
}

async function build({ seed = 1, kernels = 'reference', templatesDir = templates, buildRoot = join(dir, 'build') }: Case = {}) {
  const board = await loadBoard('f746');
  const target = emulatedTarget(board);
  const model = await loadModel('tiny-cnn', seed);
  const plan = planFor({ model, schedule: 'layer' });
  const buildDir = buildDirFor(buildRoot, board, target, kernels, plan);
  const built = await buildFirmware(plan, board, target, buildDir, {
    referenceCrc32: computeReferenceCrc32(model),
    kernels,
    templatesDir,
    cacheDir: imageCacheDir(buildRoot),
  });
  assert.ok(built.ok, built.ok ? '' : built.detail);
  return { ...built, buildDir };
}

type Built = Extract<BuildOutcome, { ok: true }>;

function entries(buildRoot: string): string[] {
  return readdirSync(imageCacheDir(buildRoot)).filter((n) => n !== 'reference' && n !== 'by-source');
}

test('a second build of the same case is served from the cache: the same id and image, gcc not run', async () => {
  // Without a compiler an uncached build fails: the check below can fail.
  await assert.rejects(
    withoutGcc(() => build({ buildRoot: join(dir, 'build-no-gcc') })),
    /gcc must not run/,
  );
  const first = await build();
  assert.equal(first.cached, false);
  assert.equal(first.generated, true);
  const second: Built = await withoutGcc(() => build());
  assert.equal(second.cached, true);
  assert.equal(second.generated, false);
  assert.equal(second.buildId, first.buildId);
  assert.deepEqual(second.sizes, first.sizes);
  assert.equal(second.elfPath, first.elfPath);
  // The case's folder shows the image, its map and the log of the build that made it.
  assert.match(readFileSync(join(first.buildDir, 'build.log'), 'utf8'), /^\$ arm-none-eabi-gcc /);
  assert.match(readFileSync(join(first.buildDir, 'model.h'), 'utf8'), new RegExp(`#define RIG_BUILD_ID "${first.buildId}"`));
  readFileSync(second.mapPath);
  assert.equal(entries(join(dir, 'build')).length, 1);
});

test('another seed, kernel variant or template byte misses the cache', async () => {
  const base = await build();
  const seed = await build({ seed: 2 });
  const variant = await build({ kernels: 'mirror' });
  const changed = join(dir, 'templates-changed');
  cpSync(templates, changed, { recursive: true });
  appendFileSync(join(changed, 'harness', 'rig_harness.c'), '\n');
  const template = await build({ templatesDir: changed });
  for (const [what, b] of Object.entries({ seed, variant, template })) {
    assert.equal(b.cached, false, what);
    assert.notEqual(b.buildId, base.buildId, what);
  }
  // Each is cached in its turn.
  assert.equal((await withoutGcc(() => build({ templatesDir: changed }))).cached, true);
});

test('a truncated image, a missing one or a left-over partial build is never used', async () => {
  const buildRoot = join(dir, 'build-damaged');
  const good = await build({ buildRoot });
  const [key] = entries(buildRoot);
  const entry = join(imageCacheDir(buildRoot), key!);
  const image = readFileSync(join(entry, 'fw.elf'));

  truncateSync(join(entry, 'fw.elf'), 1000);
  const rebuilt = await build({ buildRoot });
  assert.equal(rebuilt.cached, false);
  assert.equal(rebuilt.generated, true); // the alias to the damaged entry passed over
  assert.equal(rebuilt.buildId, good.buildId);
  assert.deepEqual(readFileSync(join(entry, 'fw.elf')), image);

  rmSync(join(entry, 'fw.elf'));
  assert.equal((await build({ buildRoot })).cached, false);

  // What a killed gcc leaves: its work folder, and no entry under the key.
  rmSync(entry, { recursive: true });
  mkdirSync(`${entry}.tmp-1-killed`);
  writeFileSync(join(`${entry}.tmp-1-killed`, 'fw.elf'), image.subarray(0, 1000));
  const afterKill = await build({ buildRoot });
  assert.equal(afterKill.cached, false);
  assert.deepEqual(readFileSync(afterKill.elfPath), image);
  assert.equal((await withoutGcc(() => build({ buildRoot }))).cached, true);
});

test('two builds of one key at once both succeed, with one complete entry', async () => {
  const buildRoot = join(dir, 'build-concurrent');
  const [a, b] = await Promise.all([build({ buildRoot }), build({ buildRoot })]);
  assert.equal(a.buildId, b.buildId);
  assert.deepEqual(entries(buildRoot), [entries(buildRoot)[0]]);
  assert.equal((await withoutGcc(() => build({ buildRoot }))).cached, true);
});
