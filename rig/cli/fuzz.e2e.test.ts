// Random and mutated model specs, board files and option sets, from a seeded PRNG: every one ends
// in a clear error (`rig: …` on stderr, exit 1 or 2) or an honest answer, never a stack trace
// (exit 70) nor a hang. `rig plan` (no hardware) runs in-process for most; `rig bench` through the
// built CLI for a few, on tiny models.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createPrng, type Prng } from '../model/prng.js';
import { TINY_CNN } from '../model/zoo.js';
import { BOARDS_DIR } from '../util/paths.js';
import { failure, runCommandLine } from './app.js';
import { rigCli } from './testing.js';

const SEED = 20_240_601;
const PLAN_CASES = 300;
/** The longest one in-process case may take. */
const CASE_BOUND_MS = 5_000;

const dir = mkdtempSync(join(tmpdir(), 'rig-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const pick = <T>(prng: Prng, items: readonly T[]): T => items[prng.int(0, items.length - 1)]!;

/** Values that break a field: wrong types, zero, negatives, fractions, huge numbers. */
const ODD_VALUES: readonly unknown[] = [-1, 0, 0.001, 0.5, 1.5, 1e9, 2 ** 53, -1e9, 'x', '3', null, true, [], {}, [1, 2], 7, 64, 4096, 100_000];

function randomBlock(prng: Prng): Record<string, unknown> {
  switch (prng.int(0, 4)) {
    case 0:
      return { type: 'conv2d', out: prng.int(1, 16), k: pick(prng, [1, 3, 5]), stride: prng.int(1, 2) };
    case 1:
      return { type: 'dwconv2d', k: pick(prng, [3, 5]), stride: prng.int(1, 2) };
    case 2:
      return { type: 'mbconv', expand: pick(prng, [1, 3, 6, 0.5]), out: prng.int(1, 16), k: pick(prng, [3, 5, 7]), stride: prng.int(1, 2) };
    case 3:
      return { type: 'avgpool' };
    default:
      return { type: 'fc', out: prng.int(1, 10) };
  }
}

/** A random spec, small enough that every plan and search of it is quick. */
function randomSpec(prng: Prng): Record<string, unknown> {
  const side = prng.int(1, 48);
  const blocks = Array.from({ length: prng.int(1, 8) }, () => randomBlock(prng));
  return { name: `fuzz${prng.int(0, 999)}`, input: [side, side, prng.int(1, 4)], blocks };
}

/** Sets one random place in a JSON value (object key or array item, at any depth) to an odd value, or removes it. */
function mutate(prng: Prng, value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  let node = copy as Record<string, unknown>;
  for (let depth = prng.int(0, 4); ; depth--) {
    const keys = Object.keys(node);
    if (keys.length === 0) return copy;
    const key = pick(prng, keys);
    const child = node[key];
    if (depth > 0 && child !== null && typeof child === 'object') {
      node = child as Record<string, unknown>;
      continue;
    }
    if (prng.int(0, 5) === 0) delete node[key];
    else node[key] = pick(prng, ODD_VALUES);
    return copy;
  }
}

const f746 = JSON.parse(readFileSync(join(BOARDS_DIR, 'f746.json'), 'utf8')) as unknown;

function specFile(prng: Prng, i: number): string {
  const file = join(dir, `spec${i}.json`);
  const kind = prng.int(0, 9);
  let text: string;
  if (kind === 0) text = pick(prng, ['', '{', '[]', 'null', '{"name":"n"}', '['.repeat(100_000), '{"a":'.repeat(50_000)]);
  else if (kind === 1) text = JSON.stringify({ ...randomSpec(prng), blocks: Array.from({ length: 130_000 }, () => ({ type: 'avgpool' })) });
  else if (kind <= 5) text = JSON.stringify(randomSpec(prng));
  else text = JSON.stringify(mutate(prng, prng.int(0, 1) === 0 ? TINY_CNN : randomSpec(prng)));
  writeFileSync(file, text);
  return file;
}

function boardArg(prng: Prng, i: number): string[] {
  switch (prng.int(0, 7)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return [];
    case 4:
      return ['--board', pick(prng, ['f746', 'f412', 'nope', 'x/none.json'])];
    default: {
      const file = join(dir, `board${i}.json`);
      writeFileSync(file, JSON.stringify(mutate(prng, f746)));
      return ['--board', file];
    }
  }
}

/** A number option's value: usually a sound one, else anything. */
const numberText = (prng: Prng): string => (prng.int(0, 2) > 0 ? pick(prng, ['1', '2', '3']) : pick(prng, NUMBERS));

const NUMBERS = ['-1', '0', '1', '2', '3', '1.5', 'abc', '1e9', '4294967295', '4294967296', '4294967297', '1000', 'NaN', 'Infinity'];

function planOptions(prng: Prng): string[] {
  const args: string[] = [];
  if (prng.int(0, 1) === 0) args.push('--schedule', pick(prng, ['layer', 'patch', 'stream1d', 'stream2d', 'auto', 'bogus']));
  if (prng.int(0, 3) === 0) args.push('--seed', numberText(prng));
  if (prng.int(0, 3) === 0) args.push('--patches', numberText(prng));
  if (prng.int(0, 3) === 0) args.push('--split', numberText(prng));
  if (prng.int(0, 5) === 0) args.push('--budget', pick(prng, ['64KB', '10', 'abc', '1e9KB', '-5', '320KiB']));
  if (prng.int(0, 9) === 0) args.push('--objective', pick(prng, ['memory', 'macs', 'x']));
  if (prng.int(0, 7) === 0) args.push('--mac-budget', numberText(prng));
  if (prng.int(0, 7) === 0) args.push('--max-patches', numberText(prng));
  if (prng.int(0, 9) === 0) args.push('--seed', '2'); // an option given twice
  if (prng.int(0, 3) === 0) args.push('--json');
  return args;
}

/** Runs the command line in this process, with stdout and stderr captured. */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await runCommandLine(args);
    return { code, stdout, stderr };
  } catch (thrown) {
    const { message, exitCode } = failure(thrown);
    return { code: exitCode, stdout, stderr: stderr + message };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** A clear error or an honest answer. */
function assertHonest(args: readonly string[], r: { code: number; stdout: string; stderr: string }): void {
  const what = `rig ${args.join(' ')}\nexit ${r.code}\n${r.stderr.slice(-2000)}`;
  assert.ok([0, 1, 2].includes(r.code), what);
  assert.doesNotMatch(r.stderr, /internal error|^\s+at /m, what);
  if (r.code === 2) assert.match(r.stderr, /^rig: \S/m, what);
  if (r.code === 0) assert.notEqual(r.stdout, '', what);
}

test(`rig plan on ${PLAN_CASES} random and mutated specs, board files and options: a clear error or a plan, each within ${CASE_BOUND_MS} ms`, async () => {
  const prng = createPrng(SEED);
  const started = performance.now();
  const exits = new Map<number, number>();
  for (let i = 0; i < PLAN_CASES; i++) {
    const model = prng.int(0, 4) === 0 ? pick(prng, ['tiny-cnn', 'mcunet-in0', 'nope', 'x.tflite']) : specFile(prng, i);
    const args = ['plan', '--model', model, ...boardArg(prng, i), ...planOptions(prng), '--db', join(dir, 'none.db')];
    const t0 = performance.now();
    const r = await inProcess(args);
    const ms = performance.now() - t0;
    assertHonest(args, r);
    assert.ok(ms < CASE_BOUND_MS, `rig ${args.join(' ')} took ${Math.round(ms)} ms`);
    exits.set(r.code, (exits.get(r.code) ?? 0) + 1);
  }
  // The cases reach both sides: plans printed and errors explained.
  assert.ok((exits.get(0) ?? 0) > 20 && (exits.get(2) ?? 0) > 20, JSON.stringify([...exits]));
  assert.ok(performance.now() - started < 60_000);
});

test('rig bench on tiny models with odd options: a clear error or honest rows', async () => {
  const prng = createPrng(SEED, 1);
  const db = join(dir, 'bench.db');
  const build = join(dir, 'build');
  const tiny = join(dir, 'tiny.json');
  writeFileSync(
    tiny,
    JSON.stringify({ name: 'fz', input: [8, 8, 3], blocks: [{ type: 'conv2d', out: 4, k: 3 }, { type: 'avgpool' }, { type: 'fc', out: 2 }] }),
  );
  const board = join(dir, 'bench-board.json');
  writeFileSync(board, JSON.stringify(mutate(prng, f746)));
  const cases: [string[], (r: { code: number; stdout: string; stderr: string }) => void][] = [
    [['--schedule', 'auto', '--budget', '10'], (r) => (assert.equal(r.code, 1), assert.match(r.stdout, /does-not-fit/))],
    [['--schedule', 'layer', '--timeout', '1', '--model', 'mcunet-in0'], (r) => (assert.equal(r.code, 1), assert.match(r.stderr, /timeout \(not run: /))],
    [['--schedule', 'layer', '--seed', '4294967297'], (r) => assert.match(r.stderr, /^rig: --seed 4294967297: expected a whole number from 0 to 4294967295/m)],
    [['--schedule', 'patch', '--patches', 'abc'], (r) => assert.match(r.stderr, /^rig: --patches abc: expected a number/m)],
    [['--schedule', 'layer', '--timeout', '3000000'], (r) => (assert.equal(r.code, 0), assert.match(r.stdout, /fz +layer .* ok /))],
    [['--schedule', 'layer', '--board', board, '--emulate'], () => undefined],
  ];
  for (const [extra, check] of cases) {
    const args = ['bench', '--model', tiny, '--db', db, '--build-dir', build, '--runs', '1', '--warmup', '0', ...extra];
    const t0 = performance.now();
    const r = await rigCli(args, dir);
    assertHonest(args, r);
    check(r);
    assert.ok(performance.now() - t0 < 60_000, `rig ${args.join(' ')}`);
  }
});
