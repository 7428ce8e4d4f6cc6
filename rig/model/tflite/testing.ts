// Small TFLite files written with the flatbuffers builder, for tests: a raw writer of the schema's
// tables (any tensor type, any operator code, more than one subgraph), and a network builder on top
// that makes int8 layers with seeded weights and TFLite-style quantization.
import { Builder } from 'flatbuffers';
import { createPrng } from '../prng.js';
import { BUILTIN } from './reader.js';

export const INT8 = 9;
export const INT32 = 2;
export const FLOAT32 = 0;

export interface RawTensor {
  name: string;
  shape: readonly number[];
  type?: number;
  data?: Uint8Array;
  scale?: readonly number[];
  zeroPoint?: readonly number[];
  axis?: number;
}

/** An options table: its union type and [slot, int8 | int32 | float32, value] fields. */
export interface RawOptions {
  type: number;
  fields: readonly (readonly [slot: number, size: 'int8' | 'int32' | 'float32', value: number])[];
}

export interface RawOperator {
  code: number;
  version?: number;
  inputs: readonly number[];
  outputs: readonly number[];
  options?: RawOptions;
}

export interface RawModel {
  tensors: readonly RawTensor[];
  operators: readonly RawOperator[];
  inputs: readonly number[];
  outputs: readonly number[];
  /** How many copies of the subgraph the file holds (default 1). */
  subgraphs?: number;
}

function vector(b: Builder, size: 1 | 4 | 8, values: readonly (number | bigint)[], add: (v: never) => void): number {
  b.startVector(size, values.length, size);
  for (let i = values.length - 1; i >= 0; i--) add(values[i] as never);
  return b.endVector();
}

/** The flatbuffer of a model, as schema.fbs lays it out. */
export function writeTflite(m: RawModel): Uint8Array {
  const b = new Builder(1024);
  const ints = (v: readonly number[]) => vector(b, 4, v, (x: number) => b.addInt32(x));
  const tables = (v: readonly number[]) => vector(b, 4, v, (x: number) => b.addOffset(x));

  // Buffer 0 is the empty sentinel; each constant tensor gets its own.
  const buffers = [0];
  const bufferOf = m.tensors.map((t) => {
    if (t.data === undefined) return 0;
    const data = b.createByteVector(t.data);
    b.startObject(1);
    b.addFieldOffset(0, data, 0);
    buffers.push(b.endObject());
    return buffers.length - 1;
  });
  b.startObject(0);
  buffers[0] = b.endObject();

  const subgraph = () => {
    const tensors = m.tensors.map((t, i) => {
      let quantization = 0;
      if (t.scale !== undefined) {
        const scale = vector(b, 4, t.scale, (x: number) => b.addFloat32(x));
        const zeroPoint = vector(b, 8, (t.zeroPoint ?? t.scale.map(() => 0)).map(BigInt), (x: bigint) => b.addInt64(x));
        b.startObject(7);
        b.addFieldOffset(2, scale, 0);
        b.addFieldOffset(3, zeroPoint, 0);
        b.addFieldInt32(6, t.axis ?? 0, 0);
        quantization = b.endObject();
      }
      const name = b.createString(t.name);
      const shape = ints(t.shape);
      b.startObject(5);
      b.addFieldOffset(0, shape, 0);
      b.addFieldInt8(1, t.type ?? INT8, 0);
      b.addFieldInt32(2, bufferOf[i]!, 0);
      b.addFieldOffset(3, name, 0);
      if (quantization !== 0) b.addFieldOffset(4, quantization, 0);
      return b.endObject();
    });
    const operators = m.operators.map((o) => {
      let options = 0;
      if (o.options !== undefined) {
        b.startObject(8);
        for (const [slot, size, value] of o.options.fields) {
          if (size === 'int8') b.addFieldInt8(slot, value, null);
          else if (size === 'float32') b.addFieldFloat32(slot, value, null);
          else b.addFieldInt32(slot, value, null);
        }
        options = b.endObject();
      }
      const inputs = ints(o.inputs);
      const outputs = ints(o.outputs);
      b.startObject(5);
      b.addFieldInt32(0, codes.indexOf(codeKey(o)), 0);
      b.addFieldOffset(1, inputs, 0);
      b.addFieldOffset(2, outputs, 0);
      if (o.options !== undefined) {
        b.addFieldInt8(3, o.options.type, 0);
        b.addFieldOffset(4, options, 0);
      }
      return b.endObject();
    });
    const tensorVector = tables(tensors);
    const inputs = ints(m.inputs);
    const outputs = ints(m.outputs);
    const operatorVector = tables(operators);
    b.startObject(5);
    b.addFieldOffset(0, tensorVector, 0);
    b.addFieldOffset(1, inputs, 0);
    b.addFieldOffset(2, outputs, 0);
    b.addFieldOffset(3, operatorVector, 0);
    return b.endObject();
  };
  const codeKey = (o: RawOperator) => `${o.code}:${o.version ?? 1}`;
  const codes = [...new Set(m.operators.map(codeKey))];
  const subgraphs = Array.from({ length: m.subgraphs ?? 1 }, subgraph);
  const codeTables = codes.map((key) => {
    const [code, version] = key.split(':').map(Number) as [number, number];
    b.startObject(4);
    // Old files hold the code in the 8-bit field only; newer ones in both.
    b.addFieldInt8(0, Math.min(code, 127), 0);
    b.addFieldInt32(2, version, 1);
    b.addFieldInt32(3, code, 0);
    return b.endObject();
  });
  const codeVector = tables(codeTables);
  const subgraphVector = tables(subgraphs);
  const bufferVector = tables(buffers);
  b.startObject(5);
  b.addFieldInt32(0, 3, 0);
  b.addFieldOffset(1, codeVector, 0);
  b.addFieldOffset(2, subgraphVector, 0);
  b.addFieldOffset(4, bufferVector, 0);
  b.finish(b.endObject(), 'TFL3');
  return b.asUint8Array().slice();
}

const ACT = { none: 0, relu: 1, relu6: 3 } as const;

/** A weight scale that puts the output's spread at a few dozen steps of its scale: saturated outputs would test little. */
function weightScale(random: number, fanIn: number, inScale: number, outScale: number): number {
  return ((0.5 + random) * outScale) / (inScale * Math.sqrt(fanIn) * 110);
}
type Act = keyof typeof ACT;

interface NetTensor {
  index: number;
  shape: [number, number, number, number];
  scale: number;
  zeroPoint: number;
}

/**
 * An int8 network written layer by layer, TFLite-style: per-channel symmetric weights, int32
 * bias, per-tensor activations with their own zero points; weights from a seeded PRNG.
 */
export class TestNet {
  readonly tensors: RawTensor[] = [];
  readonly operators: RawOperator[] = [];
  private readonly prng;
  private count = 0;

  constructor(seed = 1) {
    this.prng = createPrng(seed, 77);
  }

  private tensor(t: RawTensor): number {
    this.tensors.push(t);
    return this.tensors.length - 1;
  }

  private activation(name: string, shape: NetTensor['shape'], scale: number, zeroPoint: number): NetTensor {
    return { index: this.tensor({ name, shape, scale: [scale], zeroPoint: [zeroPoint] }), shape, scale, zeroPoint };
  }

  input(h: number, w: number, c: number, scale = 0.02, zeroPoint = -3): NetTensor {
    return this.activation('input', [1, h, w, c], scale, zeroPoint);
  }

  /** A conv2d or depthwise conv; `negative` lists channels whose weight scale is negated (weights negated too, so the real weights stay the same). */
  conv(
    x: NetTensor,
    o: {
      out?: number;
      k: number;
      stride?: number;
      padding?: 'SAME' | 'VALID';
      act?: Act;
      depthwise?: boolean;
      negative?: readonly number[];
      outScale?: number;
      outZp?: number;
    },
  ): NetTensor {
    const { k, stride = 1, padding = 'SAME', act = 'relu6', depthwise = false } = o;
    const [, h, w, c] = x.shape;
    const out = depthwise ? c : o.out!;
    const perChannel = depthwise ? k * k : k * k * c;
    const weights = new Int8Array(out * perChannel);
    for (let i = 0; i < weights.length; i++) weights[i] = this.prng.int(-127, 127);
    const outScale = o.outScale ?? 0.03;
    const scales = Array.from({ length: out }, () => weightScale(this.prng.float(), perChannel, x.scale, outScale));
    for (const ch of o.negative ?? []) {
      scales[ch] = -scales[ch]!;
      // Depthwise weights are [1][k][k][C]: channel ch is every C-th value.
      for (let i = 0; i < weights.length; i++) if ((depthwise ? i % out : Math.floor(i / perChannel)) === ch) weights[i] = -weights[i]!;
    }
    const bias = Int32Array.from({ length: out }, () => this.prng.int(-2000, 2000));
    const n = this.count++;
    const wIndex = this.tensor({
      name: `w${n}`,
      shape: depthwise ? [1, k, k, c] : [out, k, k, c],
      data: new Uint8Array(weights.buffer),
      scale: scales.map(Math.fround),
      axis: depthwise ? 3 : 0,
    });
    const bIndex = this.tensor({
      name: `bias${n}`,
      shape: [out],
      type: INT32,
      data: new Uint8Array(bias.buffer),
      scale: scales.map((s) => Math.fround(s * x.scale)),
    });
    const size = (n: number) => (padding === 'SAME' ? Math.ceil(n / stride) : Math.floor((n - k) / stride) + 1);
    const y = this.activation(`conv${n}`, [1, size(h), size(w), out], outScale, o.outZp ?? (act === 'none' ? 5 : -128));
    const pad = padding === 'SAME' ? 0 : 1;
    this.operators.push(
      depthwise
        ? {
            code: BUILTIN.DEPTHWISE_CONV_2D,
            version: 3,
            inputs: [x.index, wIndex, bIndex],
            outputs: [y.index],
            options: {
              type: 2,
              fields: [
                [0, 'int8', pad],
                [1, 'int32', stride],
                [2, 'int32', stride],
                [3, 'int32', 1],
                [4, 'int8', ACT[act]],
              ],
            },
          }
        : {
            code: BUILTIN.CONV_2D,
            version: 3,
            inputs: [x.index, wIndex, bIndex],
            outputs: [y.index],
            options: {
              type: 1,
              fields: [
                [0, 'int8', pad],
                [1, 'int32', stride],
                [2, 'int32', stride],
                [3, 'int8', ACT[act]],
              ],
            },
          },
    );
    return y;
  }

  /** An explicit PAD of rows and columns, with the input's quantization (as the MCUNet files have it). */
  pad(x: NetTensor, top: number, bottom: number, left: number, right: number): NetTensor {
    const p = new Int32Array([0, 0, top, bottom, left, right, 0, 0]);
    const pIndex = this.tensor({ name: `pads${this.count++}`, shape: [4, 2], type: INT32, data: new Uint8Array(p.buffer) });
    const [, h, w, c] = x.shape;
    const y = this.activation(`pad${this.count}`, [1, h + top + bottom, w + left + right, c], x.scale, x.zeroPoint);
    this.operators.push({ code: BUILTIN.PAD, version: 2, inputs: [x.index, pIndex], outputs: [y.index] });
    return y;
  }

  add(a: NetTensor, b: NetTensor, scale = 0.05, zeroPoint = 2, act: Act = 'none'): NetTensor {
    const y = this.activation(`add${this.count++}`, a.shape, scale, zeroPoint);
    this.operators.push({
      code: BUILTIN.ADD,
      version: 2,
      inputs: [a.index, b.index],
      outputs: [y.index],
      options: { type: 11, fields: [[0, 'int8', ACT[act]]] },
    });
    return y;
  }

  /** A fully connected layer over the flattened input, one weight scale for the whole tensor. */
  fc(x: NetTensor, out: number, act: Act = 'none', outScale = 0.05, outZp = -20): NetTensor {
    const n = x.shape[1] * x.shape[2] * x.shape[3];
    const weights = Int8Array.from({ length: out * n }, () => this.prng.int(-127, 127));
    const scale = weightScale(this.prng.float(), n, x.scale, outScale);
    const bias = Int32Array.from({ length: out }, () => this.prng.int(-3000, 3000));
    const k = this.count++;
    const wIndex = this.tensor({ name: `fcw${k}`, shape: [out, n], data: new Uint8Array(weights.buffer), scale: [Math.fround(scale)] });
    const bIndex = this.tensor({ name: `fcb${k}`, shape: [out], type: INT32, data: new Uint8Array(bias.buffer), scale: [Math.fround(scale * x.scale)] });
    const y = this.activation(`fc${k}`, [1, 1, 1, out], outScale, outZp);
    this.tensors[y.index] = { ...this.tensors[y.index]!, shape: [1, out] };
    this.operators.push({
      code: BUILTIN.FULLY_CONNECTED,
      version: 4,
      inputs: [x.index, wIndex, bIndex],
      outputs: [y.index],
      options: { type: 8, fields: [[0, 'int8', ACT[act]]] },
    });
    return y;
  }

  /** A RESHAPE to [1, N]: the same bytes, the same quantization. */
  flatten(x: NetTensor): NetTensor {
    const n = x.shape[1] * x.shape[2] * x.shape[3];
    const shape = new Int32Array([1, n]);
    const sIndex = this.tensor({ name: `shape${this.count++}`, shape: [2], type: INT32, data: new Uint8Array(shape.buffer) });
    const y = this.activation(`flat${this.count}`, [1, 1, 1, n], x.scale, x.zeroPoint);
    this.tensors[y.index] = { ...this.tensors[y.index]!, shape: [1, n] };
    this.operators.push({ code: BUILTIN.RESHAPE, version: 1, inputs: [x.index, sIndex], outputs: [y.index] });
    return y;
  }

  avgpool(x: NetTensor, filter = x.shape[1]): NetTensor {
    const [, h, w, c] = x.shape;
    const out = Math.floor((h - filter) / filter) + 1;
    const y = this.activation(`pool${this.count++}`, [1, out, Math.floor((w - filter) / filter) + 1, c], x.scale, x.zeroPoint);
    this.operators.push({
      code: BUILTIN.AVERAGE_POOL_2D,
      version: 2,
      inputs: [x.index],
      outputs: [y.index],
      options: {
        type: 5,
        fields: [
          [0, 'int8', 1],
          [1, 'int32', filter],
          [2, 'int32', filter],
          [3, 'int32', filter],
          [4, 'int32', filter],
        ],
      },
    });
    return y;
  }

  /** A k×k average pool (stride `stride`, default k), as AVERAGE_POOL_2D; the output keeps the input's quantization. */
  pool(x: NetTensor, o: { k: number; kw?: number; stride?: number; strideW?: number; padding?: 'SAME' | 'VALID'; act?: Act }): NetTensor {
    const { k, kw = k, stride = k, strideW = stride, padding = 'VALID', act = 'none' } = o;
    const [, h, w, c] = x.shape;
    const size = (n: number, f: number, s: number) => (padding === 'SAME' ? Math.ceil(n / s) : Math.floor((n - f) / s) + 1);
    const y = this.activation(`pool${this.count++}`, [1, size(h, k, stride), size(w, kw, strideW), c], x.scale, x.zeroPoint);
    this.operators.push({
      code: BUILTIN.AVERAGE_POOL_2D,
      version: 2,
      inputs: [x.index],
      outputs: [y.index],
      options: {
        type: 5,
        fields: [
          [0, 'int8', padding === 'SAME' ? 0 : 1],
          [1, 'int32', strideW],
          [2, 'int32', stride],
          [3, 'int32', kw],
          [4, 'int32', k],
          [5, 'int8', ACT[act]],
        ],
      },
    });
    return y;
  }

  /** MEAN over rows and columns (axes [1, 2], or `axes`), into its own quantization; keep_dims gives [1, 1, 1, C], else [1, C]. */
  mean(x: NetTensor, o: { keepDims: boolean; outScale?: number; outZp?: number; axes?: readonly number[] }): NetTensor {
    const { keepDims, outScale = x.scale, outZp = x.zeroPoint, axes = [1, 2] } = o;
    const axis = new Int32Array(axes);
    const aIndex = this.tensor({ name: `axes${this.count++}`, shape: [axes.length], type: INT32, data: new Uint8Array(axis.buffer) });
    const c = x.shape[3];
    const y = this.activation(`mean${this.count}`, [1, 1, 1, c], outScale, outZp);
    if (!keepDims) this.tensors[y.index] = { ...this.tensors[y.index]!, shape: [1, c] };
    this.operators.push({
      code: BUILTIN.MEAN,
      version: 2,
      inputs: [x.index, aIndex],
      outputs: [y.index],
      options: { type: 27, fields: [[0, 'int8', keepDims ? 1 : 0]] },
    });
    return y;
  }

  /** SOFTMAX over the channels, int8 with the output quantization TFLite requires (scale 1/256, zero point -128) unless told otherwise. */
  softmax(x: NetTensor, beta = 1, outScale = 1 / 256, outZp = -128): NetTensor {
    const y = this.activation(`softmax${this.count++}`, x.shape, outScale, outZp);
    this.tensors[y.index] = { ...this.tensors[y.index]!, shape: this.tensors[x.index]!.shape };
    this.operators.push({
      code: BUILTIN.SOFTMAX,
      version: 2,
      inputs: [x.index],
      outputs: [y.index],
      options: { type: 9, fields: [[0, 'float32', beta]] },
    });
    return y;
  }

  /** A float32 model input QUANTIZEd to int8: the file's input is `float`, the int8 model starts at `int8`. */
  quantizedInput(h: number, w: number, c: number, scale = 0.02, zeroPoint = -3): { float: NetTensor; int8: NetTensor } {
    const float = this.floatTensor('input_float', [1, h, w, c]);
    const int8 = this.activation('input', [1, h, w, c], scale, zeroPoint);
    this.operators.push({ code: BUILTIN.QUANTIZE, version: 2, inputs: [float.index], outputs: [int8.index] });
    return { float, int8 };
  }

  /** A QUANTIZE of an int8 tensor to another int8 quantization (TFLite's requantize). */
  quantize(x: NetTensor, scale: number, zeroPoint: number): NetTensor {
    const y = this.activation(`quantize${this.count++}`, x.shape, scale, zeroPoint);
    this.operators.push({ code: BUILTIN.QUANTIZE, version: 2, inputs: [x.index], outputs: [y.index] });
    return y;
  }

  /** A DEQUANTIZE to a float32 tensor of the same shape. */
  dequantize(x: NetTensor): NetTensor {
    const y = this.floatTensor(`dequantize${this.count++}`, x.shape);
    this.tensors[y.index] = { ...this.tensors[y.index]!, shape: this.tensors[x.index]!.shape };
    this.operators.push({ code: BUILTIN.DEQUANTIZE, version: 2, inputs: [x.index], outputs: [y.index] });
    return y;
  }

  private floatTensor(name: string, shape: NetTensor['shape']): NetTensor {
    return { index: this.tensor({ name, shape, type: FLOAT32 }), shape, scale: 0, zeroPoint: 0 };
  }

  /** An operator rig does not import (MAX_POOL_2D 2×2). */
  maxpool(x: NetTensor): NetTensor {
    const [, h, w, c] = x.shape;
    const y = this.activation(`maxpool${this.count++}`, [1, h >> 1, w >> 1, c], x.scale, x.zeroPoint);
    this.operators.push({ code: 17, version: 2, inputs: [x.index], outputs: [y.index] });
    return y;
  }

  bytes(input: NetTensor, output: NetTensor, extra: Partial<RawModel> = {}): Uint8Array {
    return writeTflite({ tensors: this.tensors, operators: this.operators, inputs: [input.index], outputs: [output.index], ...extra });
  }
}

/** The small networks whose TFLite outputs are recorded in testdata/built.json, by name. */
export function builtCases(): Record<string, Uint8Array> {
  // SAME padding at stride 2 on even sizes: the odd row and column go after (k3: 0 and 1; k5: 1 and 2).
  const same = new TestNet(1);
  const x = same.input(16, 16, 3);
  const s1 = same.conv(x, { out: 8, k: 3, stride: 2 });
  const s2 = same.conv(s1, { k: 5, stride: 2, depthwise: true });
  const s3 = same.conv(s2, { out: 8, k: 1, act: 'none' });
  // An MCUNet block: explicit PADs (an all-zero one before the 1×1s), VALID convolutions,
  // negative weight scales, a residual ADD with the projection first.
  const block = new TestNet(2);
  const y = block.input(12, 12, 4, 0.03, 7);
  const stem = block.conv(block.pad(y, 1, 1, 1, 1), { out: 8, k: 3, padding: 'VALID', outZp: -100 });
  const expand = block.conv(block.pad(stem, 0, 0, 0, 0), { out: 16, k: 1, padding: 'VALID', negative: [0, 5] });
  const dw = block.conv(block.pad(expand, 1, 1, 1, 1), { k: 3, padding: 'VALID', depthwise: true, negative: [3] });
  const project = block.conv(block.pad(dw, 0, 0, 0, 0), { out: 8, k: 1, padding: 'VALID', act: 'none', negative: [2], outScale: 0.04, outZp: -6 });
  const sum = block.add(project, stem);
  // A residual ADD with a fused RELU, a RESHAPE to a vector, two FULLY_CONNECTED layers.
  const dense = new TestNet(3);
  const z = dense.input(6, 6, 2, 0.05, 10);
  const a = dense.conv(z, { out: 4, k: 3, stride: 2, act: 'relu', outZp: -60 });
  const b = dense.conv(a, { out: 4, k: 1, act: 'none' });
  const r = dense.add(b, a, 0.06, -30, 'relu');
  const h = dense.fc(dense.flatten(r), 10, 'relu', 0.04, -128);
  // A float32 file input and output, QUANTIZE and DEQUANTIZE at the edges; a 3×3 average pool at
  // stride 2, SAME on 10 rows (0 before, 1 after) and 9 columns (1 and 1), with a fused RELU6; a
  // 2×2 VALID pool at stride 1; a MEAN into its own quantization keeping [1, 1, 1, C]; a 1×1
  // classifier, RESHAPE and SOFTMAX.
  const edged = new TestNet(4);
  const { float: floatIn, int8: e0 } = edged.quantizedInput(10, 9, 3, 0.025, 4);
  const e1 = edged.conv(e0, { out: 6, k: 3, act: 'relu', outZp: -90 });
  const e2 = edged.pool(e1, { k: 3, stride: 2, padding: 'SAME', act: 'relu6' });
  const e3 = edged.conv(e2, { k: 3, depthwise: true });
  const e4 = edged.pool(e3, { k: 2, stride: 1 });
  const e5 = edged.conv(e4, { out: 7, k: 1, act: 'none' });
  const e6 = edged.mean(e5, { keepDims: true, outScale: 0.011, outZp: -7 });
  const e7 = edged.conv(e6, { out: 5, k: 1, act: 'none', outScale: 0.08 });
  // A SOFTMAX over the channels of every pixel inside the network (beta 0.7), a 3×2 VALID pool, a
  // MEAN in the input's quantization to [1, C] (the plain rounded average), SOFTMAX of the classes.
  const spatial = new TestNet(5);
  const p0 = spatial.input(7, 6, 5, 0.04, -10);
  const p1 = spatial.conv(p0, { out: 7, k: 3, act: 'none', outScale: 0.1 });
  const p2 = spatial.softmax(p1, 0.7);
  const p3 = spatial.conv(p2, { k: 3, stride: 2, depthwise: true, act: 'relu' });
  const p4 = spatial.pool(p3, { k: 3, kw: 2, stride: 1 });
  const p5 = spatial.fc(spatial.mean(p4, { keepDims: false }), 10, 'none', 0.1, 3);
  // A MEAN over 16×12 pixels into another scale and zero point, to [1, C]; a SOFTMAX of 300 classes (beta 2).
  const wide = new TestNet(6);
  const w0 = wide.input(16, 12, 13, 0.05, 20);
  const w1 = wide.conv(w0, { k: 3, depthwise: true, act: 'relu6' });
  const w2 = wide.fc(wide.mean(w1, { keepDims: false, outScale: 0.047, outZp: -100 }), 300, 'none', 0.02, -5);
  // SOFTMAX straight on the input: 256 pixels of 17 channels over the whole int8 range; 9 pixels
  // of 400 channels so close that their exps sum to 256 … 400 (the largest sum TFLite takes, its
  // reciprocal's shift 31).
  const rows = new TestNet(7);
  const r0 = rows.input(16, 16, 17, 0.1, -5);
  const flat = new TestNet(8);
  const f0 = flat.input(3, 3, 400, 0.002, 0);
  return {
    'same-stride2': same.bytes(x, same.avgpool(s3)),
    'mcunet-block': block.bytes(y, block.avgpool(sum)),
    'dense-relu': dense.bytes(z, dense.fc(h, 5)),
    'float-edges': edged.bytes(floatIn, edged.dequantize(edged.softmax(edged.flatten(e7)))),
    'softmax-spatial': spatial.bytes(p0, spatial.softmax(p5)),
    'mean-wide': wide.bytes(w0, wide.softmax(w2, 1.5)),
    'softmax-rows': rows.bytes(r0, rows.softmax(r0)),
    'softmax-uniform': flat.bytes(f0, flat.softmax(f0)),
  };
}
