#!/usr/bin/env node
// The input rig feeds a model (its seeded input), as raw int8 bytes on stdout, for
// scripts/tflite-expected.py. With --tensors, rig's reference interpreter's CRC-32 of every op's
// output on stderr instead, one line per op, to set beside TFLite's. Needs `npm run build`.
import { loadModel } from '../dist/rig/config/model.js';
import { interpret } from '../dist/rig/model/reference.js';
import { crc32 } from '../dist/rig/util/crc32.js';

const args = process.argv.slice(2);
const seedAt = args.indexOf('--seed');
const seed = seedAt < 0 ? 1 : Number(args[seedAt + 1]);
const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--seed');
if (file === undefined) {
  process.stderr.write('usage: node scripts/tflite-input.mjs MODEL [--seed N] [--tensors]\n');
  process.exit(2);
}
const model = await loadModel(file, seed);
if (args.includes('--tensors')) {
  const values = interpret(model);
  for (const op of model.ops) process.stderr.write(`${op.name} ${crc32(new Uint8Array(values.get(op.output).buffer))}\n`);
} else {
  process.stdout.write(new Uint8Array(model.inputData.buffer));
}
