// The reader on small files built here: what it reads, and a clear error for every file it cannot
// (junk, a wrong identifier, a truncated file, a float model, an unsupported operator, two subgraphs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPrng } from '../prng.js';
import { TfliteError } from './errors.js';
import { readTflite } from './reader.js';
import { FLOAT32, TestNet, writeTflite, type RawModel } from './testing.js';

function smallNet(): { net: TestNet; bytes: Uint8Array } {
  const net = new TestNet(3);
  const x = net.input(8, 8, 3);
  const y = net.conv(x, { out: 4, k: 3, stride: 2 });
  return { net, bytes: net.bytes(x, net.avgpool(y)) };
}

const throwsTflite = (bytes: Uint8Array, message: RegExp) =>
  assert.throws(
    () => readTflite(bytes),
    (error: unknown) => error instanceof TfliteError && message.test(error.message),
  );

test('reads tensors, quantization, constants and options', () => {
  const graph = readTflite(smallNet().bytes);
  assert.deepEqual(
    graph.operators.map((o) => o.builtin),
    ['CONV_2D', 'AVERAGE_POOL_2D'],
  );
  const conv = graph.operators[0]!;
  assert.equal(conv.version, 3);
  assert.deepEqual(conv.options, { padding: 'SAME', strideW: 2, strideH: 2, activation: 'RELU6', dilationW: 1, dilationH: 1 });
  const [input, weights, bias] = conv.inputs.map((i) => graph.tensors[i]!);
  assert.deepEqual(input!.shape, [1, 8, 8, 3]);
  assert.deepEqual(input!.quantization, { scale: [Math.fround(0.02)], zeroPoint: [-3], axis: 0 });
  assert.equal(weights!.type, 'INT8');
  assert.equal(weights!.data!.length, 4 * 3 * 3 * 3);
  assert.equal(weights!.quantization!.scale.length, 4);
  assert.equal(bias!.type, 'INT32');
  assert.equal(input!.data, null);
  assert.deepEqual(graph.inputs, [input!.index]);
});

test('junk, a short file and a wrong file identifier are not TFLite files', () => {
  const prng = createPrng(9);
  const junk = Uint8Array.from({ length: 300 }, () => prng.int(0, 255));
  throwsTflite(junk, /^not a TFLite file: expected the file identifier "TFL3" at bytes 4\.\.8, found "/);
  throwsTflite(new Uint8Array(3), /^not a TFLite file: 3 bytes, too short for a flatbuffer$/);
  const renamed = smallNet().bytes.slice();
  renamed.set([0x54, 0x46, 0x4c, 0x32], 4); // "TFL2"
  throwsTflite(renamed, /^not a TFLite file: expected the file identifier "TFL3" at bytes 4\.\.8, found "TFL2"$/);
});

test('a file cut anywhere is a truncated file, never a crash or a quiet read of zeros', () => {
  const { bytes } = smallNet();
  for (let length = 8; length < bytes.length; length += 7) {
    const cut = bytes.subarray(0, length);
    assert.throws(
      () => readTflite(cut),
      (error: unknown) => error instanceof TfliteError && /^truncated or damaged file: .* of a \d+-byte file$/.test(error.message),
      `cut at ${length} of ${bytes.length}`,
    );
  }
  // An offset pointing past the end, in a file of the right length.
  const damaged = bytes.slice();
  new DataView(damaged.buffer).setUint32(0, bytes.length + 100, true);
  throwsTflite(damaged, /^truncated or damaged file: model points to bytes \d+\.\.\d+ of a \d+-byte file$/);
});

test('a float model is named as one, by its float input or float weights', () => {
  const floatInput: RawModel = {
    tensors: [
      { name: 'image', shape: [1, 4, 4, 1], type: FLOAT32 },
      { name: 'out', shape: [1, 1, 1, 1], type: FLOAT32 },
    ],
    operators: [{ code: 1, inputs: [0], outputs: [1] }],
    inputs: [0],
    outputs: [1],
  };
  throwsTflite(writeTflite(floatInput), /^a float model: input tensor "image" is float32; rig imports int8 models/);
  const floatWeights: RawModel = {
    ...floatInput,
    tensors: [
      { name: 'image', shape: [1, 4, 4, 1], scale: [0.1] },
      { name: 'kernel', shape: [1, 1, 1, 1], type: FLOAT32, data: new Uint8Array(4) },
      floatInput.tensors[1]!,
    ],
    operators: [{ code: 3, inputs: [0, 1], outputs: [2] }],
    outputs: [2],
  };
  throwsTflite(writeTflite(floatWeights), /^a float model: constant tensor "kernel" is float32/);
});

test('an unsupported operator is named with its index, version and tensors, and the supported list', () => {
  const net = new TestNet(4);
  const x = net.input(8, 8, 2);
  const y = net.conv(x, { out: 2, k: 1 });
  const bytes = net.bytes(x, net.maxpool(y));
  throwsTflite(
    bytes,
    /^operator 1 is MAX_POOL_2D \(version 2; inputs "conv0"; outputs "maxpool1"\), which rig cannot import; supported: ADD, AVERAGE_POOL_2D, CONV_2D, DEPTHWISE_CONV_2D, DEQUANTIZE, FULLY_CONNECTED, MEAN, PAD, QUANTIZE, RESHAPE, SOFTMAX$/,
  );
  // A code past 127 lives in the 32-bit builtin_code field only (the 8-bit one holds 127).
  const gelu: RawModel = {
    tensors: [
      { name: 'a', shape: [1, 4], scale: [0.1] },
      { name: 'b', shape: [1, 4], scale: [0.1] },
    ],
    operators: [{ code: 150, inputs: [0], outputs: [1] }],
    inputs: [0],
    outputs: [1],
  };
  throwsTflite(writeTflite(gelu), /^operator 0 is GELU \(version 1; inputs "a"; outputs "b"\)/);
});

test('a file of two subgraphs is refused', () => {
  const net = new TestNet(5);
  const x = net.input(4, 4, 1);
  const y = net.conv(x, { out: 1, k: 1 });
  throwsTflite(net.bytes(x, y, { subgraphs: 2 }), /^expected one subgraph, found 2 \(rig imports single-graph models, without control flow\)$/);
});
