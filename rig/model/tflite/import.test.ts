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
import { planLayerwise } from '../../schedule/layerwise.js';
import { planTiled } from '../../schedule/search.js';
import type { AddOp, AvgPool2dOp, Conv2dOp, DwConv2dOp, FcOp, MeanOp, Model, SoftmaxOp } from '../ir.js';
import { meanRequant } from '../../ops/mean.js';
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

test('a float32 file input and output: the int8 model from the QUANTIZE to the DEQUANTIZE; k×k pools, MEAN and SOFTMAX', () => {
  const model = imported('float-edges');
  assert.deepEqual(
    model.ops.map((o) => o.kind),
    ['conv2d', 'avgpool2d', 'dwconv2d', 'avgpool2d', 'conv2d', 'mean', 'conv2d', 'softmax'],
  );
  // The input is the QUANTIZE's int8 output, the output the DEQUANTIZE's int8 input.
  assert.deepEqual([model.tensors[model.input]!.shape, model.tensors[model.input]!.zeroPoint], [[10, 9, 3], 4]);
  assert.equal(model.output, model.ops[7]!.output);
  assert.deepEqual([model.tensors[model.output]!.shape, model.tensors[model.output]!.zeroPoint], [[1, 1, 5], -128]);
  const [, pool, , valid, , mean] = model.ops as [Conv2dOp, AvgPool2dOp, DwConv2dOp, AvgPool2dOp, Conv2dOp, MeanOp];
  // SAME at stride 2: 10 rows pad 0 before and 1 after, 9 columns 1 and 1; RELU6 from the output's zero point -90.
  assert.deepEqual([pool.kh, pool.kw, pool.stride, pool.padTop, pool.padBottom, pool.padLeft, pool.padRight], [3, 3, 2, 0, 1, 1, undefined]);
  assert.deepEqual([pool.actMin, pool.actMax], [-90, 110]);
  assert.deepEqual(model.tensors[pool.output]!.shape, [5, 5, 6]);
  assert.deepEqual([valid.kh, valid.stride, valid.padTop, valid.padLeft, model.tensors[valid.output]!.shape], [2, 1, 0, 0, [4, 4, 6]]);
  // The mean's requantization: 0.03 / 0.011 over 16 pixels, as TFLite's MEAN prepares it.
  assert.deepEqual(mean.scale, meanRequant(Math.fround(0.03), Math.fround(0.011), 16));
  // The pools tile: every split and grid their stage allows passes the symbolic run.
  for (const schedule of ['patch', 'stream1d', 'stream2d'] as const)
    for (const split of [2, 3, 4])
      for (const patches of [2, 3])
        assert.deepEqual(checkPlan(planTiled(model, schedule, { patches, split })), [], `${schedule} split ${split} ${patches}×${patches}`);
});

test('a SOFTMAX over the channels of every pixel tiles and may run in place; MEAN in its input quantization', () => {
  const model = imported('softmax-spatial');
  const [, softmax, , , mean, , last] = model.ops as [Conv2dOp, SoftmaxOp, DwConv2dOp, AvgPool2dOp, MeanOp, FcOp, SoftmaxOp];
  // beta 0.7 · input scale 0.1 · 2^26, as PreprocessSoftmaxScaling gives it (Q31 multiplier, left shift, diff_min).
  const real = Math.fround(0.7) * Math.fround(0.1) * 2 ** 26;
  assert.equal(softmax.inputLeftShift, Math.floor(Math.log2(real)) + 1);
  assert.equal(softmax.inputMultiplier, Math.round((real / 2 ** softmax.inputLeftShift) * 2 ** 31));
  assert.equal(softmax.diffMin, -Math.floor((31 * 2 ** 26) / 2 ** softmax.inputLeftShift));
  assert.deepEqual(model.tensors[softmax.output]!.shape, [7, 6, 7]);
  assert.deepEqual(model.tensors[last.output]!.shape, [1, 1, 10]);
  // Equal scales: QuantizeMultiplier(1) = 2^30 at shift 1, and 1/4 folded in: 2^30 at shift -1.
  assert.deepEqual(mean.scale, { multiplier: 2 ** 30, shift: -1 });
  for (const schedule of ['patch', 'stream1d', 'stream2d'] as const)
    for (const split of [2, 3, 4])
      for (const patches of [1, 2])
        assert.deepEqual(checkPlan(planTiled(model, schedule, { patches, split })), [], `${schedule} split ${split} ${patches}×${patches}`);
  // Its input dies with it: layer-wise it writes over its input.
  const layer = planLayerwise(model);
  assert.ok(
    layer.steps.some((s) => s.kind === 'op' && s.op === 1 && s.inPlace),
    'the softmax runs in place',
  );
  assert.deepEqual(checkPlan(layer), []);
});

test('what the importer cannot take is named by operator and tensor', () => {
  // An average pool with two strides.
  const pool = new TestNet(6);
  const x = pool.input(8, 8, 2);
  const y = pool.conv(x, { out: 2, k: 3, stride: 2 });
  throwsTflite(
    pool.bytes(x, pool.pool(y, { k: 2, stride: 2, strideW: 1 })),
    /^operator 1 \(AVERAGE_POOL_2D, version 2\): expected one stride for rows and columns, found 2 and 1$/,
  );
  // A padded tensor read by something other than a convolution.
  const padAdd = new TestNet(7);
  const a = padAdd.input(4, 4, 2);
  const b = padAdd.conv(a, { out: 2, k: 1 });
  const padded = padAdd.pad(b, 1, 1, 1, 1);
  throwsTflite(
    padAdd.bytes(a, padAdd.add(padded, padded)),
    /^operator 2 \(ADD, version 2\) reads "pad\d+", which the PAD at operator 1 padded; rig folds a PAD only into the convolution that reads it$/,
  );
  // ADD's inputs of two shapes.
  const shapes = new TestNet(8);
  const c = shapes.input(4, 4, 2);
  const d = shapes.conv(c, { out: 2, k: 3, stride: 2 });
  throwsTflite(shapes.bytes(c, shapes.add(c, d)), /^operator 1 \(ADD, version 2\): expected two inputs of one shape, found 4×4×2 and 2×2×2$/);
});

test('QUANTIZE and DEQUANTIZE only at the edges; a float model, a MEAN over other axes and a softmax into another quantization are refused', () => {
  // A QUANTIZE from one int8 quantization to another, inside the model.
  const middle = new TestNet(9);
  const x = middle.input(4, 4, 2);
  const q = middle.quantize(middle.conv(x, { out: 2, k: 1 }), 0.05, 1);
  throwsTflite(
    middle.bytes(x, middle.conv(q, { out: 2, k: 1 })),
    /^operator 1 \(QUANTIZE, version 2\): a QUANTIZE of "conv0" \(int8\) to "quantize1" inside the model; rig imports QUANTIZE only from the float model input to int8, where the int8 model starts$/,
  );
  // A DEQUANTIZE whose float output is not the model output.
  const inner = new TestNet(10);
  const a = inner.input(4, 4, 2);
  const b = inner.conv(a, { out: 2, k: 1 });
  inner.dequantize(b);
  throwsTflite(
    inner.bytes(a, inner.conv(b, { out: 2, k: 1 })),
    /^operator 1 \(DEQUANTIZE, version 2\): a DEQUANTIZE of "conv0" to "dequantize1" inside the model; rig imports DEQUANTIZE only from int8 to the float model output/,
  );
  // A float input that a convolution reads too: a float model.
  const float = new TestNet(11);
  const { float: f, int8: i8 } = float.quantizedInput(4, 4, 2);
  float.conv(f, { out: 2, k: 1 });
  throwsTflite(float.bytes(f, float.conv(i8, { out: 2, k: 1 })), /^a float model: input tensor "input_float" is float32; rig imports int8 models/);
  // A MEAN over the channels.
  const channels = new TestNet(12);
  const c = channels.input(4, 4, 3);
  throwsTflite(
    channels.bytes(c, channels.mean(channels.conv(c, { out: 3, k: 1 }), { keepDims: true, axes: [3] })),
    /^operator 1 \(MEAN, version 2\): a mean over axes \[3\] of "conv0" \(1×4×4×3\); rig imports the mean over rows and columns \(axes \[1, 2\] of a \[1, H, W, C\] tensor\)$/,
  );
  // A SOFTMAX into a quantization TFLite's int8 kernel does not write.
  const soft = new TestNet(13);
  const s = soft.input(1, 1, 4);
  throwsTflite(
    soft.bytes(s, soft.softmax(soft.conv(s, { out: 4, k: 1 }), 1, 1 / 128, -128)),
    /^operator 1 \(SOFTMAX, version 2\): output "softmax1" has scale 0\.0078125 and zero point -128; expected 1\/256 and -128 \(TFLite's int8 softmax\)$/,
  );
});
