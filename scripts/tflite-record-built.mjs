#!/usr/bin/env node
// Records TensorFlow Lite's answers for the small networks the tests build (builtCases() in
// rig/model/tflite/testing.ts) into rig/model/tflite/testdata/built.json: each network is written
// to a temporary .tflite file and run by scripts/tflite-expected.py (TFLite's reference kernels) on
// rig's seed-1 input. Development only: rig and its tests never run Python. Needs `npm run build`
// and a Python with tensorflow, named by PYTHON (default python3):
//
//   PYTHON=/path/to/venv/bin/python node scripts/tflite-record-built.mjs [NAME ...]
//
// With names, only those cases are recorded again; the others keep their recorded answers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtCases } from '../dist/rig/model/tflite/testing.js';
import { importTflite } from '../dist/rig/model/tflite/import.js';
import { crc32 } from '../dist/rig/util/crc32.js';

const SEED = 1;
const root = fileURLToPath(new URL('..', import.meta.url));
const target = join(root, 'rig', 'model', 'tflite', 'testdata', 'built.json');
const python = process.env.PYTHON ?? 'python3';

const cases = builtCases();
const only = process.argv.slice(2);
const unknown = only.filter((name) => !(name in cases));
if (unknown.length > 0) {
  process.stderr.write(`unknown case ${unknown.join(', ')}; the cases are ${Object.keys(cases).join(', ')}\n`);
  process.exit(2);
}
const previous = JSON.parse(readFileSync(target, 'utf8')).cases;
const dir = mkdtempSync(join(tmpdir(), 'rig-tflite-record-'));
const recorded = {};
try {
  for (const [name, bytes] of Object.entries(cases)) {
    if (only.length > 0 && !only.includes(name)) {
      if (previous[name] === undefined) throw new Error(`${name} was never recorded; name it to record it`);
      recorded[name] = previous[name];
      continue;
    }
    const model = join(dir, `${name}.tflite`);
    const input = join(dir, `${name}.bin`);
    writeFileSync(model, bytes);
    // rig's input for the model: the seeded int8 bytes of its (int8) input tensor.
    writeFileSync(input, new Uint8Array(importTflite(bytes, name, SEED).inputData.buffer));
    const answer = JSON.parse(
      execFileSync(python, [join(root, 'scripts', 'tflite-expected.py'), model, input], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    recorded[name] = { fileCrc32: crc32(bytes), inputCrc32: answer.inputCrc32, outputCrc32: answer.outputCrc32, output: answer.output };
    process.stderr.write(`${name}: output CRC-32 ${answer.outputCrc32}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const version = execFileSync(python, ['-c', 'import tensorflow as tf; print(tf.__version__)'], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'ignore'],
}).trim();
const file = {
  comment: `TFLite reference kernels (tensorflow ${version}, BUILTIN_REF) on the networks of builtCases() (testing.ts) with rig's seed-1 input. Recorded with scripts/tflite-record-built.mjs (scripts/tflite-expected.py); a changed fileCrc32 means the builder changed and the outputs must be recorded again.`,
  seed: SEED,
  cases: recorded,
};
writeFileSync(target, `${JSON.stringify(file, null, 2)}\n`);
