// The importer on networks built here: the IR it gives (PADs folded, SAME's odd padding after, an
// ADD's inputs, blocks and names), bit-exact outputs against TFLite's reference kernels as
// recorded in testdata/built.json, tiled plans of asymmetric padding, and its errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32 } from '../../util/crc32.js';
import { ROOT } from '../../util/paths.js';
import { checkPlan } from '../../schedule/check.js';
import { planTiled } from '../../schedule/search.js';
import type { AddOp, Conv2dOp, DwConv2dOp, FcOp, Model } from '../ir.js';
import { referenceOutput } from '../reference.js';
import { TfliteError } from './errors.js';
import { importTflite } from './import.js';
import { builtCases, TestNet } from './testing.js';

interface Recorded {
  fileCrc32: number;
  inputCrc32: number;
  outputCrc32: number;
  output: string;
}
const recorded = (JSON.parse(readFileSync(join(ROOT, 'rig', 'model', 'tflite', 'testdata', 'built.json'), 'utf8')) as { cases: Record<string, Recorded> })
  .cases;
const cases = builtCases();
const imported = (name: string): Model => importTflite(cases[name]!, name, 1);

const throwsTflite = (bytes: Uint8Array, message: RegExp) =>
  assert.throws(
    () => importTflite(bytes, 'net', 1),
    (error: unknown) => error instanceof TfliteError && message.test(error.message),
  );

test("the built networks' outputs equal TFLite's reference kernels' (recorded from TensorFlow)", () => {
  for (const [name, bytes] of Object.entries(cases)) {
    const r = recorded[name]!;
    assert.equal(crc32(bytes), r.fileCrc32, `${name}: the test file changed; record TFLite's output again (scripts/tflite-expected.py)`);
    const model = importTflite(bytes, name, 1);
    assert.equal(crc32(model.inputData), r.inputCrc32, `${name}: input`);
    assert.equal(Buffer.from(referenceOutput(model)).toString('hex'), r.output, `${name}: output`);
  }
});

test('SAME at stride 2 on even sizes pads after: k3 0 before and 1 after, k5 1 and 2', () => {
  const model = imported('same-stride2');
  const [conv, dw] = model.ops as [Conv2dOp, DwConv2dOp];
  assert.deepEqual([conv.padTop, conv.padBottom, conv.padLeft, conv.padRight], [0, 1, 0, 1]);
  assert.deepEqual([dw.padTop, dw.padBottom, dw.padLeft, dw.padRight], [1, 2, 1, 2]);
  assert.deepEqual(model.tensors[conv.output]!.shape, [8, 8, 8]);
  assert.deepEqual(model.tensors[dw.output]!.shape, [4, 4, 8]);
  // The tiled schedules read the right input rows for every patch.
  for (const schedule of ['patch', 'stream1d', 'stream2d'] as const)
    for (const patches of [2, 3, 4]) {
      assert.deepEqual(checkPlan(planTiled(model, schedule, { patches, split: 2 })), [], `${schedule} ${patches}×${patches}`);
    }
});

test('an MCUNet block: PADs folded into the convolutions, the projection added second, one block from fork to ADD', () => {
  const model = imported('mcunet-block');
  assert.deepEqual(
    model.ops.map((o) => [o.name, o.kind, o.block]),
    [
      ['b0_conv2d', 'conv2d', 0],
      ['b1_expand', 'conv2d', 1],
      ['b1_dw', 'dwconv2d', 1],
      ['b1_project', 'conv2d', 1],
      ['b1_add', 'add', 1],
      ['b2_avgpool', 'avgpool', 2],
    ],
  );
  const [stem, expand, dw, project, add] = model.ops as [Conv2dOp, Conv2dOp, DwConv2dOp, Conv2dOp, Model['ops'][number]];
  assert.deepEqual([stem.padTop, stem.padLeft, stem.padBottom, expand.padTop, dw.padTop], [1, 1, undefined, 0, 1]);
  assert.deepEqual(add.inputs, [stem.output, project.output]);
  // Negative weight scales give negative multipliers (TFLite's QuantizeMultiplier), not zeros.
  assert.ok(expand.requant.multiplier[0]! < 0 && expand.requant.multiplier[5]! < 0 && expand.requant.multiplier[1]! > 0);
  assert.ok(dw.requant.multiplier[3]! < 0 && project.requant.multiplier[2]! < 0);
  assert.deepEqual(model.tensors[model.input]!.shape, [12, 12, 4]);
  assert.equal(model.tensors[model.input]!.zeroPoint, 7);
});

test('RESHAPE to a vector dropped before FULLY_CONNECTED; fused RELU clamps from the output zero point', () => {
  const model = imported('dense-relu');
  assert.deepEqual(
    model.ops.map((o) => [o.name, o.kind]),
    [
      ['b0_conv2d', 'conv2d'],
      ['b1_conv2d', 'conv2d'],
      ['b1_add', 'add'],
      ['b2_fc', 'fc'],
      ['b3_fc', 'fc'],
    ],
  );
  const [conv, , add, fc] = model.ops as [Conv2dOp, Conv2dOp, AddOp, FcOp];
  assert.deepEqual([conv.requant.actMin, conv.requant.actMax], [-60, 127]);
  assert.deepEqual([add.actMin, add.actMax], [-30, 127]);
  assert.deepEqual([fc.inputs, fc.outChannels, fc.requant.actMin], [[add.output], 10, -128]);
  assert.deepEqual(model.tensors[model.output]!.shape, [1, 1, 5]);
});

test('what the importer cannot take is named by operator and tensor', () => {
  // A 2×2 average pool over a 4×4 input.
  const pool = new TestNet(6);
  const x = pool.input(8, 8, 2);
  const y = pool.conv(x, { out: 2, k: 3, stride: 2 });
  throwsTflite(
    pool.bytes(x, pool.avgpool(y, 2)),
    /^operator 1 \(AVERAGE_POOL_2D\): a 2×2 average pool over a 4×4 input, giving 2×2×2; rig's average pool is global/,
  );
  // A padded tensor read by something other than a convolution.
  const padAdd = new TestNet(7);
  const a = padAdd.input(4, 4, 2);
  const b = padAdd.conv(a, { out: 2, k: 1 });
  const padded = padAdd.pad(b, 1, 1, 1, 1);
  throwsTflite(
    padAdd.bytes(a, padAdd.add(padded, padded)),
    /^operator 2 \(ADD\) reads "pad\d+", which the PAD at operator 1 padded; rig folds a PAD only into the convolution that reads it$/,
  );
  // ADD's inputs of two shapes.
  const shapes = new TestNet(8);
  const c = shapes.input(4, 4, 2);
  const d = shapes.conv(c, { out: 2, k: 3, stride: 2 });
  throwsTflite(shapes.bytes(c, shapes.add(c, d)), /^operator 1 \(ADD\): expected two inputs of one shape, found 4×4×2 and 2×2×2$/);
});
