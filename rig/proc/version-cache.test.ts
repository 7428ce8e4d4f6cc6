// A kept version line is served only for the very binary that printed it: a touched, replaced or
// shadowing binary is asked again; scripts, launchers and failed answers are never kept.
import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { toolVersionLine, versionCacheDir } from './version-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-versions-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(dir, 'bin');
const shadow = join(dir, 'shadow');
mkdirSync(bin);
mkdirSync(shadow);
process.env['PATH'] = `${shadow}:${bin}:${process.env['PATH']}`;
// ELF binaries under names of their own: echo prints its arguments, false fails.
copyFileSync('/bin/echo', join(bin, 'rig-echo'));
copyFileSync('/bin/false', join(bin, 'rig-false'));
symlinkSync('/bin/echo', join(bin, 'rig-launcher'));
writeFileSync(join(bin, 'rig-script'), '#!/bin/sh\necho "script 1.0"\n');
chmodSync(join(bin, 'rig-script'), 0o755);

const OPTIONS = { timeoutMs: 10_000 };
let n = 0;
const freshCache = () => join(dir, `cache-${n++}`);
const entries = (cache: string) => readdirSync(cache).filter((f) => f.endsWith('.json'));

/** Rewrites the only kept entry's line, so that an answer from the cache is told from a new one. */
function plant(cache: string, line: string): void {
  const [entry] = entries(cache);
  const file = join(cache, entry!);
  writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), line }));
}

test('a version line is kept per binary and arguments, and asked again once the binary changes', async () => {
  const cache = freshCache();
  assert.equal(await toolVersionLine('rig-echo', ['echo 9.1'], OPTIONS, cache), 'echo 9.1');
  assert.equal(entries(cache).length, 1);
  plant(cache, 'kept 9.1');
  assert.equal(await toolVersionLine('rig-echo', ['echo 9.1'], OPTIONS, cache), 'kept 9.1');
  // Other arguments are another question.
  assert.equal(await toolVersionLine('rig-echo', ['echo 9.2'], OPTIONS, cache), 'echo 9.2');

  // Touched (an upgrade in place keeps path and size): asked again.
  utimesSync(join(bin, 'rig-echo'), new Date(), new Date(2000, 0, 1));
  assert.equal(await toolVersionLine('rig-echo', ['echo 9.1'], OPTIONS, cache), 'echo 9.1');
});

test('another binary of the same name first on PATH is asked again', async () => {
  const cache = freshCache();
  await toolVersionLine('rig-echo', ['echo 9.1'], OPTIONS, cache);
  plant(cache, 'kept 9.1');
  assert.equal(await toolVersionLine('rig-echo', ['echo 9.1'], OPTIONS, cache), 'kept 9.1');
  copyFileSync('/bin/echo', join(shadow, 'rig-echo'));
  try {
    assert.equal(await toolVersionLine('rig-echo', ['echo 9.1'], OPTIONS, cache), 'echo 9.1');
  } finally {
    rmSync(join(shadow, 'rig-echo'));
  }
  assert.equal(await toolVersionLine('rig-echo', ['echo 9.1'], OPTIONS, cache), 'kept 9.1');
});

test('scripts, launchers named otherwise and failed answers are never kept', async () => {
  const cache = freshCache();
  assert.equal(await toolVersionLine('rig-script', ['--version'], OPTIONS, cache), 'script 1.0');
  assert.equal(await toolVersionLine('rig-launcher', ['launched 1.0'], OPTIONS, cache), 'launched 1.0');
  assert.equal(await toolVersionLine('rig-false', ['fails'], OPTIONS, cache), 'unknown');
  assert.equal(existsSync(cache), false);
});

test('a cache folder that cannot be written only costs the query', async () => {
  const blocked = join(dir, 'not-a-folder');
  writeFileSync(blocked, '');
  assert.equal(await toolVersionLine('rig-echo', ['echo 9.1'], OPTIONS, join(blocked, 'cache')), 'echo 9.1');
});

test('the cache lives under XDG_CACHE_HOME when it is an absolute path, else under ~/.cache', () => {
  assert.equal(versionCacheDir({ XDG_CACHE_HOME: '/var/cache/me' }), '/var/cache/me/rig/tool-versions');
  assert.match(versionCacheDir({ XDG_CACHE_HOME: 'relative' }), /\/\.cache\/rig\/tool-versions$/);
  assert.match(versionCacheDir({}), /\/\.cache\/rig\/tool-versions$/);
});
