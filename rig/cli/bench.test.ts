// What a run stores of its command line: each declared option once, under its command-line name,
// read back raw from a real SQLite file.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import yargs from 'yargs';
import { buildImage } from '../bench/build.js';
import { runBench } from '../bench/run.js';
import { Store } from '../store/db.js';
import { UserError } from '../util/errors.js';
import { BENCH_OPTIONS } from './bench.js';
import { declaredArgs } from './options.js';

test("a bench run stores the declared options once each, under their command-line names, not yargs' $0, _ or camelCase twins", () => {
  const argv = yargs([
    '--board',
    'f746',
    '--emulate',
    '--model',
    'tiny-cnn',
    '--model',
    'zoo',
    '--build-dir',
    '/tmp/b',
    '--no-wait',
    '--runs',
    '2',
    '--kernels',
    'reference',
  ])
    .options(BENCH_OPTIONS)
    .strict()
    .parseSync();
  assert.ok('buildDir' in argv && '$0' in argv && '_' in argv, 'yargs gives both spellings and its own keys');
  const args = { ...declaredArgs(argv, BENCH_OPTIONS), emulate: true, 'arena-ram': null };

  const path = join(mkdtempSync(join(tmpdir(), 'rig-args-')), 'rig.db');
  const store = new Store(path);
  const runId = store.startRun({ startedAt: 't0', gitRevision: null, host: 'h', toolchain: {}, board: 'f746', runner: 'qemu', args });
  store.close();
  const raw = new Database(path, { readonly: true });
  const { args_json } = raw.prepare('SELECT args_json FROM runs WHERE id = ?').get(runId) as { args_json: string };
  raw.close();
  assert.deepEqual(JSON.parse(args_json), {
    board: 'f746',
    emulate: true,
    wait: false,
    'arena-ram': null,
    model: ['tiny-cnn', 'zoo'],
    kernels: 'reference',
    seed: 1,
    warmup: 1,
    runs: 2,
    timeout: 60_000,
    db: BENCH_OPTIONS.db.default,
    'build-dir': '/tmp/b',
    json: false,
    csv: false,
  });
});

test('an unknown --kernels stops rig bench and rig build before anything is read, built or stored (exit 2, the variants listed)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rig-kernels-option-'));
  const refused = (e: unknown) => {
    assert.ok(e instanceof UserError && e.exitCode === 2, String(e));
    assert.match(e.message, /^unknown kernel variant "cmsis-nn": the variants are [^(]*\breference\b/);
    return true;
  };
  const request = {
    board: {},
    models: ['no-such-model'],
    schedules: ['layer' as const],
    seed: 1,
    warmup: 0,
    runs: 1,
    timeoutMs: 1000,
    kernels: 'cmsis-nn',
    db: join(dir, 'rig.db'),
    buildDir: join(dir, 'build'),
    wait: false,
    describeRun: () => ({}),
  };
  await assert.rejects(runBench(request, new AbortController().signal), refused);
  const build = {
    board: 'f746',
    emulate: true,
    model: 'no-such-model',
    schedule: 'layer' as const,
    seed: 1,
    kernels: 'cmsis-nn',
    buildDir: join(dir, 'build'),
  };
  await assert.rejects(buildImage(build), refused);
  assert.deepEqual(readdirSync(dir), []);
  // The option's help names the variants.
  assert.match(String(BENCH_OPTIONS.kernels.describe), /\breference\b/);
});
