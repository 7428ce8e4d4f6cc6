// Imports an int8 TFLite graph (reader.ts) into rig's integer IR with its real weights, computing
// every requantization parameter exactly as TFLite's kernels prepare theirs from the scales, so
// that the reference interpreter matches TFLite's reference kernels bit for bit. PAD is folded
// into the convolution that reads it, RESHAPE is dropped (it keeps the bytes), and blocks are
// found in the graph (a residual's fork to its ADD, the inverted bottleneck) so that `--split`
// counts what it counts on the zoo's spec of the same network. The input comes from the seed.
import { checkModel, convOutputSize, tensorBytes, type Model, type Op, type QuantizedScale, type Requant, type Shape, type Tensor } from '../ir.js';
import { seededInput } from '../lower.js';
import { addRescale, quantizeMultiplier } from '../quant.js';
import { meanRequant } from '../../ops/mean.js';
import { SOFTMAX_OUTPUT, softmaxParams } from '../../ops/softmax.js';
import { TfliteError } from './errors.js';
import { readTflite, type FusedActivation, type TfliteGraph, type TfliteOperator, type TfliteTensor } from './reader.js';

interface Pads {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

/** A TFLite activation tensor as rig sees it: the IR tensor holding its bytes, and how it got there. */
interface Value {
  readonly id: number;
  readonly scale: number;
  readonly zeroPoint: number;
  /** The TFLite tensor's shape as HWC: the IR tensor's unless a RESHAPE changed it. */
  readonly shape: Shape;
  /** Padding that PAD operators added, still to be folded into the convolution that reads it. */
  readonly pad: Pads | null;
  /** The operators that padded or reshaped it, for errors. */
  readonly padBy: number | null;
  readonly reshapeBy: number | null;
}

const NO_PAD: Pads = { top: 0, bottom: 0, left: 0, right: 0 };

/** Reads and imports a TFLite file's bytes; `name` becomes the model's name. */
export function importTflite(bytes: Uint8Array, name: string, seed: number): Model {
  return importGraph(readTflite(bytes), name, seed);
}

function importGraph(graph: TfliteGraph, name: string, seed: number): Model {
  const tensors: Tensor[] = [];
  const ops: Op[] = [];
  const values = new Map<number, Value>();
  const t = (i: number) => graph.tensors[i]!;

  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new TfliteError(`expected one input and one output tensor, found ${graph.inputs.length} and ${graph.outputs.length}`);
  }
  /** A new IR tensor for a TFLite activation; named once the ops are. */
  const newTensor = (outT: TfliteTensor, where: string): Value => {
    const q = perTensor(outT, where);
    const id = tensors.length;
    tensors.push({ id, name: '', shape: hwc(outT, where), zeroPoint: q.zeroPoint });
    return { id, ...q, shape: tensors[id]!.shape, pad: null, padBy: null, reshapeBy: null };
  };
  // A float input QUANTIZEd to int8 (readTflite let only QUANTIZE operators read it): the int8
  // model starts at the QUANTIZE's output.
  const inputT = t(graph.inputs[0]!);
  const quantizers = graph.operators.filter((o) => o.inputs.includes(inputT.index));
  const edgeQuantize = inputT.type === 'INT8' ? null : quantizers[0]!;
  if (edgeQuantize === null) {
    values.set(inputT.index, newTensor(inputT, 'the model input'));
  } else {
    if (quantizers.length !== 1) {
      throw new TfliteError(
        `the float model input "${inputT.name}" is read by ${quantizers.length} QUANTIZE operators (${quantizers.map((o) => o.index).join(', ')}); expected one, where the int8 model starts`,
      );
    }
    values.set(edgeQuantize.outputs[0]!, newTensor(t(edgeQuantize.outputs[0]!), `operator ${edgeQuantize.index} (QUANTIZE, version ${edgeQuantize.version})`));
  }
  /** The int8 tensor a DEQUANTIZE to the float model output reads, where the int8 model ends. */
  let dequantized: Value | null = null;

  for (const o of graph.operators) {
    const where = `operator ${o.index} (${o.builtin}, version ${o.version})`;
    /** The value an operator reads; only a convolution may read one a PAD padded, only FULLY_CONNECTED one a RESHAPE changed. */
    const read = (k: number, allow: { pad?: boolean; reshape?: boolean } = {}): Value => {
      const index = o.inputs[k];
      const v = index === undefined ? undefined : values.get(index);
      if (index === undefined || v === undefined) {
        const what = index === undefined || index < 0 ? 'nothing' : `"${t(index).name}", which is a constant or never computed`;
        throw new TfliteError(`${where}: input ${k} is ${what}; expected an activation tensor`);
      }
      if (v.pad !== null && !allow.pad) {
        throw new TfliteError(
          `${where} reads "${t(index).name}", which the PAD at operator ${v.padBy} padded; rig folds a PAD only into the convolution that reads it`,
        );
      }
      const ir = tensors[v.id]!.shape;
      if (v.reshapeBy !== null && !allow.reshape && !ir.every((n, i) => n === v.shape[i])) {
        throw new TfliteError(
          `${where} reads "${t(index).name}", which the RESHAPE at operator ${v.reshapeBy} made ${v.shape.join('×')} from ${ir.join('×')}; rig drops a RESHAPE only before FULLY_CONNECTED or at the output`,
        );
      }
      if (v.zeroPoint !== tensors[v.id]!.zeroPoint) {
        throw new TfliteError(
          `${where} reads "${t(index).name}" with zero point ${v.zeroPoint}, which the RESHAPE at operator ${v.reshapeBy} gave to bytes of zero point ${tensors[v.id]!.zeroPoint}; rig keeps one zero point per tensor`,
        );
      }
      return v;
    };
    const outT = t(o.outputs[0]!);
    const define = (v: Value) => values.set(outT.index, v);

    switch (o.builtin) {
      case 'CONV_2D':
      case 'DEPTHWISE_CONV_2D': {
        const input = read(0, { pad: true });
        const depthwise = o.builtin === 'DEPTHWISE_CONV_2D';
        const { strideH, strideW, dilationH, dilationW } = o.options;
        if (strideH !== strideW) throw new TfliteError(`${where}: expected one stride for rows and columns, found ${strideH} and ${strideW}`);
        if (dilationH !== 1 || dilationW !== 1) throw new TfliteError(`${where}: expected no dilation, found ${dilationH}×${dilationW}`);
        const weightsT = t(o.inputs[1]!);
        const [wo, kh, kw, wi] = constantShape(weightsT, 4, where, 'filter');
        const inC = input.shape[2];
        if (depthwise) {
          const multiplier = o.builtin === 'DEPTHWISE_CONV_2D' ? o.options.depthMultiplier : 1;
          if (wo !== 1 || wi !== inC || multiplier !== 1)
            throw new TfliteError(
              `${where}: expected a depth multiplier of 1 (filter 1×${kh}×${kw}×${inC}), found ${multiplier} (filter ${weightsT.shape.join('×')})`,
            );
        } else if (wi !== inC) {
          throw new TfliteError(`${where}: filter "${weightsT.name}" expects ${wi} input channels, found ${inC}`);
        }
        const outC = depthwise ? inC : wo;
        const pad = input.pad ?? NO_PAD;
        // SAME pads the padded input: TFLite's split puts the odd row and column after.
        const [sameTop, sameBottom] = o.options.padding === 'SAME' ? samePadding(input.shape[0] + pad.top + pad.bottom, kh, strideH) : [0, 0];
        const [sameLeft, sameRight] = o.options.padding === 'SAME' ? samePadding(input.shape[1] + pad.left + pad.right, kw, strideW) : [0, 0];
        const padTop = pad.top + sameTop;
        const padBottom = pad.bottom + sameBottom;
        const padLeft = pad.left + sameLeft;
        const padRight = pad.right + sameRight;
        if (Math.max(padTop, padBottom) >= kh || Math.max(padLeft, padRight) >= kw) {
          throw new TfliteError(
            `${where}: expected padding less than the ${kh}×${kw} kernel, found ${padTop}, ${padBottom} rows and ${padLeft}, ${padRight} columns`,
          );
        }
        const out = newTensor(outT, where);
        const expected = [convOutputSize(input.shape[0], kh, strideH, padTop, padBottom), convOutputSize(input.shape[1], kw, strideW, padLeft, padRight), outC];
        if (!expected.every((n, i) => n === out.shape[i])) {
          throw new TfliteError(
            `${where}: output "${outT.name}" is ${out.shape.join('×')}, expected ${expected.join('×')} from its input, filter, stride and padding`,
          );
        }
        const inQ = perTensor(t(o.inputs[0]!), where);
        const weightScales = weightScale(weightsT, outC, depthwise ? 3 : 0, where);
        const fields = {
          name: '',
          block: 0,
          inputs: [input.id],
          output: out.id,
          kh,
          kw,
          stride: strideH,
          padTop,
          padLeft,
          // Only an asymmetric padding is written down: the IR's default is the same after as before.
          ...(padBottom === padTop ? {} : { padBottom }),
          ...(padRight === padLeft ? {} : { padRight }),
          weights: int8Data(weightsT),
          requant: requant(inQ.scale, weightScales, out, biasData(graph, o, 2, outC, where), o.options.activation, where),
        };
        ops.push(depthwise ? { kind: 'dwconv2d', ...fields } : { kind: 'conv2d', outChannels: outC, ...fields });
        define(out);
        break;
      }
      case 'FULLY_CONNECTED': {
        const input = read(0, { reshape: true });
        const weightsT = t(o.inputs[1]!);
        const [outN, inN] = constantShape(weightsT, 2, where, 'weights');
        const inBytes = tensorBytes(tensors[input.id]!);
        if (inN !== inBytes) throw new TfliteError(`${where}: weights "${weightsT.name}" take ${inN} inputs, found ${inBytes}`);
        const out = newTensor(outT, where);
        if (out.shape.join() !== `1,1,${outN}`) throw new TfliteError(`${where}: output "${outT.name}" is ${outT.shape.join('×')}, expected 1×${outN}`);
        const inQ = perTensor(t(o.inputs[0]!), where);
        const scales = weightScale(weightsT, outN, 0, where);
        const rq = requant(inQ.scale, scales, out, biasData(graph, o, 2, outN, where), o.options.activation, where);
        ops.push({ kind: 'fc', name: '', block: 0, inputs: [input.id], output: out.id, outChannels: outN, weights: int8Data(weightsT), requant: rq });
        define(out);
        break;
      }
      case 'ADD': {
        const a = read(0);
        const b = read(1);
        if (!a.shape.every((n, i) => n === b.shape[i]))
          throw new TfliteError(`${where}: expected two inputs of one shape, found ${a.shape.join('×')} and ${b.shape.join('×')}`);
        const out = newTensor(outT, where);
        // TFLite's int8 ADD: both inputs rescaled to twice the larger input scale, the sum to the output's.
        const [actMin, actMax] = activationRange(o.options.activation, out, where);
        // The sum is symmetric, so the input just computed goes second: the one the add may overwrite (rig/ops/add.ts).
        const previous = ops[ops.length - 1]?.output;
        const [first, second] = a.id === previous && b.id !== previous ? [b, a] : [a, b];
        ops.push({
          kind: 'add',
          name: '',
          block: 0,
          inputs: [first.id, second.id],
          output: out.id,
          ...addRescale(first.scale, second.scale, out.scale),
          actMin,
          actMax,
        });
        define(out);
        break;
      }
      case 'AVERAGE_POOL_2D': {
        const input = read(0);
        const out = newTensor(outT, where);
        const [h, w, c] = input.shape;
        const { filterH, filterW, strideH, strideW } = o.options;
        if (out.scale !== input.scale || out.zeroPoint !== input.zeroPoint) {
          throw new TfliteError(
            `${where}: expected the output's scale and zero point to equal the input's (${input.scale}, ${input.zeroPoint}), found ${out.scale}, ${out.zeroPoint}`,
          );
        }
        if (out.shape[2] !== c) throw new TfliteError(`${where}: output "${outT.name}" has ${out.shape[2]} channels, expected ${c}`);
        const [actMin, actMax] = activationRange(o.options.activation, out, where);
        const fields = { name: '', block: 0, inputs: [input.id], output: out.id, actMin, actMax };
        if (filterH === h && filterW === w && out.shape[0] === 1 && out.shape[1] === 1) {
          // The window covers the whole input: the global pool.
          ops.push({ kind: 'avgpool', ...fields });
          define(out);
          break;
        }
        if (strideH !== strideW) throw new TfliteError(`${where}: expected one stride for rows and columns, found ${strideH} and ${strideW}`);
        if (filterH < 1 || filterW < 1 || strideH < 1)
          throw new TfliteError(`${where}: expected a filter and a stride of at least 1, found ${filterH}×${filterW} and ${strideH}`);
        const [padTop, padBottom] = o.options.padding === 'SAME' ? samePadding(h, filterH, strideH) : [0, 0];
        const [padLeft, padRight] = o.options.padding === 'SAME' ? samePadding(w, filterW, strideW) : [0, 0];
        const expected = [convOutputSize(h, filterH, strideH, padTop, padBottom), convOutputSize(w, filterW, strideW, padLeft, padRight), c];
        if (expected[0]! < 1 || expected[1]! < 1 || !expected.every((n, i) => n === out.shape[i])) {
          throw new TfliteError(
            `${where}: output "${outT.name}" is ${out.shape.join('×')}, expected ${expected.join('×')} from a ${filterH}×${filterW} filter at stride ${strideH} (${o.options.padding}) over ${h}×${w}×${c}`,
          );
        }
        ops.push({
          kind: 'avgpool2d',
          ...fields,
          kh: filterH,
          kw: filterW,
          stride: strideH,
          padTop,
          padLeft,
          ...(padBottom === padTop ? {} : { padBottom }),
          ...(padRight === padLeft ? {} : { padRight }),
        });
        define(out);
        break;
      }
      case 'MEAN': {
        const input = read(0);
        const [h, w, c] = input.shape;
        const inT = t(o.inputs[0]!);
        const axes = constantInt32s(t(o.inputs[1]!), where, 'axes');
        const resolved = [...new Set(axes.map((a) => (a < 0 ? a + inT.shape.length : a)))].sort();
        if (inT.shape.length !== 4 || resolved.join() !== '1,2') {
          throw new TfliteError(
            `${where}: a mean over axes [${axes.join(', ')}] of "${inT.name}" (${inT.shape.join('×')}); rig imports the mean over rows and columns (axes [1, 2] of a [1, H, W, C] tensor)`,
          );
        }
        const out = newTensor(outT, where);
        const expected = o.options.keepDims ? `1,1,1,${c}` : `1,${c}`;
        if (outT.shape.join() !== expected)
          throw new TfliteError(`${where}: output "${outT.name}" is ${outT.shape.join('×')}, expected ${expected.replaceAll(',', '×')}`);
        ops.push({ kind: 'mean', name: '', block: 0, inputs: [input.id], output: out.id, scale: meanRequant(input.scale, out.scale, h * w) });
        define(out);
        break;
      }
      case 'SOFTMAX': {
        const input = read(0);
        const out = newTensor(outT, where);
        if (!out.shape.every((n, i) => n === input.shape[i]))
          throw new TfliteError(`${where}: output "${outT.name}" is ${outT.shape.join('×')}, expected the input's ${t(o.inputs[0]!).shape.join('×')}`);
        // TFLite's int8 softmax writes probabilities at scale 1/256 (to within 0.1%) and zero point -128.
        if (out.zeroPoint !== SOFTMAX_OUTPUT.zeroPoint || Math.abs(out.scale - SOFTMAX_OUTPUT.scale) > 0.001 * SOFTMAX_OUTPUT.scale) {
          throw new TfliteError(
            `${where}: output "${outT.name}" has scale ${out.scale} and zero point ${out.zeroPoint}; expected 1/256 and -128 (TFLite's int8 softmax)`,
          );
        }
        const params = softmaxParams(o.options.beta, input.scale);
        if (params === null)
          throw new TfliteError(`${where}: beta ${o.options.beta} × input scale ${input.scale} × 2^26 is not above 1, which TFLite's int8 softmax refuses`);
        ops.push({ kind: 'softmax', name: '', block: 0, inputs: [input.id], output: out.id, ...params });
        define(out);
        break;
      }
      case 'QUANTIZE': {
        if (o === edgeQuantize) break;
        const inT = t(o.inputs[0]!);
        throw new TfliteError(
          `${where}: a QUANTIZE of "${inT.name}" (${inT.type.toLowerCase()}) to "${outT.name}" inside the model; rig imports QUANTIZE only from the float model input to int8, where the int8 model starts`,
        );
      }
      case 'DEQUANTIZE': {
        const atOutput = o.outputs[0] === graph.outputs[0] && !graph.operators.some((p) => p.inputs.includes(outT.index));
        if (!atOutput) {
          throw new TfliteError(
            `${where}: a DEQUANTIZE of "${t(o.inputs[0]!).name}" to "${outT.name}" inside the model; rig imports DEQUANTIZE only from int8 to the float model output, where the int8 model ends`,
          );
        }
        dequantized = read(0);
        break;
      }
      case 'PAD': {
        const input = read(0, { pad: true });
        const outQ = perTensor(outT, where);
        // TFLite pads an int8 tensor with the output's zero point: folded away, it must be the value the convolution treats as zero.
        if (outQ.zeroPoint !== input.zeroPoint || outQ.scale !== input.scale) {
          throw new TfliteError(
            `${where}: pads with ${outQ.zeroPoint} (scale ${outQ.scale}), expected the input's zero point ${input.zeroPoint} (scale ${input.scale})`,
          );
        }
        const p = paddings(t(o.inputs[1]!), where);
        const before = input.pad ?? NO_PAD;
        const pad = { top: before.top + p.top, bottom: before.bottom + p.bottom, left: before.left + p.left, right: before.right + p.right };
        const any = pad.top + pad.bottom + pad.left + pad.right > 0;
        define({ ...input, pad: any ? pad : null, padBy: any ? o.index : null });
        break;
      }
      case 'RESHAPE': {
        const input = read(0, { reshape: true });
        const outQ = perTensor(outT, where);
        const shape = hwc(outT, where);
        if (shape[0] * shape[1] * shape[2] !== input.shape[0] * input.shape[1] * input.shape[2]) {
          throw new TfliteError(`${where}: expected as many values as its input, found ${outT.shape.join('×')} from ${input.shape.join('×')}`);
        }
        // TFLite copies the bytes even when the output's quantization differs (some converters write another one).
        define({ ...input, ...outQ, shape, reshapeBy: o.index });
        break;
      }
    }
  }

  const output = dequantized ?? values.get(graph.outputs[0]!);
  if (output === undefined) throw new TfliteError(`the model output "${t(graph.outputs[0]!).name}" is never computed`);
  if (output.pad !== null)
    throw new TfliteError(
      `the model output "${t(graph.outputs[0]!).name}" is padded by the PAD at operator ${output.padBy}; rig folds a PAD only into a convolution`,
    );
  const named = nameOps(ops);
  const model: Model = {
    name,
    seed,
    tensors: tensors.map((x, i) => ({ ...x, name: i === 0 ? 'input' : named.find((op) => op.output === i)!.name })),
    ops: named,
    input: 0,
    output: output.id,
    inputData: seededInput(seed, tensorBytes(tensors[0]!)),
  };
  const problems = checkModel(model);
  if (problems.length > 0) throw new TfliteError(`imports to an inconsistent model: ${problems.slice(0, 3).join('; ')}`);
  return model;
}

/** A tensor's shape as HWC, batch 1: [1, H, W, C], [1, N] or [N] (as 1×1×N), [1, W, C] (as 1×W×C). */
function hwc(t: TfliteTensor, where: string): Shape {
  const s = t.shape;
  if (s.length === 4 && s[0] === 1) return [s[1]!, s[2]!, s[3]!];
  if (s.length === 3 && s[0] === 1) return [1, s[1]!, s[2]!];
  if (s.length === 2 && s[0] === 1) return [1, 1, s[1]!];
  if (s.length === 1) return [1, 1, s[0]!];
  throw new TfliteError(`${where}: tensor "${t.name}" is ${s.join('×')}; expected batch 1: [1, H, W, C] or [1, N]`);
}

/** An int8 activation's one scale and zero point. */
function perTensor(t: TfliteTensor, where: string): { scale: number; zeroPoint: number } {
  if (t.type !== 'INT8') throw new TfliteError(`${where}: tensor "${t.name}" is ${t.type.toLowerCase()}; expected int8`);
  const q = t.quantization;
  if (q === null || q.scale.length !== 1 || q.zeroPoint.length !== 1) {
    throw new TfliteError(
      `${where}: tensor "${t.name}" has ${q === null ? 'no quantization' : `${q.scale.length} scales`}; expected one scale and one zero point`,
    );
  }
  return { scale: q.scale[0]!, zeroPoint: q.zeroPoint[0]! };
}

function constantShape<N extends 2 | 4>(
  t: TfliteTensor | undefined,
  rank: N,
  where: string,
  what: string,
): N extends 4 ? [number, number, number, number] : [number, number] {
  if (t === undefined || t.data === null)
    throw new TfliteError(`${where}: expected a constant ${what}, found ${t === undefined ? 'none' : `activation "${t.name}"`}`);
  if (t.type !== 'INT8') throw new TfliteError(`${where}: ${what} "${t.name}" is ${t.type.toLowerCase()}; expected int8`);
  if (t.shape.length !== rank) throw new TfliteError(`${where}: ${what} "${t.name}" is ${t.shape.join('×')}; expected ${rank} dimensions`);
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) throw new TfliteError(`${where}: ${what} "${t.name}" holds ${t.data.length} bytes, expected ${count}`);
  return [...t.shape] as N extends 4 ? [number, number, number, number] : [number, number];
}

function int8Data(t: TfliteTensor): Int8Array {
  return new Int8Array(t.data!.slice().buffer);
}

/** Per-channel weight scales along `axis` (one scale broadcast), with TFLite's int8 weights' zero point 0. */
function weightScale(t: TfliteTensor, channels: number, axis: number, where: string): number[] {
  const q = t.quantization;
  if (q === null) throw new TfliteError(`${where}: weights "${t.name}" have no quantization`);
  if (q.zeroPoint.some((z) => z !== 0))
    throw new TfliteError(`${where}: weights "${t.name}" have a zero point of ${q.zeroPoint.find((z) => z !== 0)}; expected 0 (symmetric int8 weights)`);
  if (q.scale.length === 1) return Array.from({ length: channels }, () => q.scale[0]!);
  if (q.scale.length !== channels || q.axis !== axis) {
    throw new TfliteError(`${where}: weights "${t.name}" have ${q.scale.length} scales along axis ${q.axis}; expected ${channels} along axis ${axis} (or one)`);
  }
  return [...q.scale];
}

/** The int32 bias of input `k`, or zeros when the operator has none. */
function biasData(graph: TfliteGraph, o: TfliteOperator, k: number, channels: number, where: string): Int32Array {
  const index = o.inputs[k];
  if (index === undefined || index < 0) return new Int32Array(channels);
  const t = graph.tensors[index]!;
  if (t.data === null || t.type !== 'INT32' || t.data.length !== 4 * channels) {
    throw new TfliteError(
      `${where}: bias "${t.name}" is ${t.data === null ? 'not constant' : `${t.type.toLowerCase()} ${t.shape.join('×')}`}; expected ${channels} int32 values`,
    );
  }
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return Int32Array.from({ length: channels }, (_, i) => view.getInt32(4 * i, true));
}

/** A constant int32 vector (MEAN's axes). */
function constantInt32s(t: TfliteTensor | undefined, where: string, what: string): number[] {
  if (t === undefined || t.data === null || t.type !== 'INT32' || t.data.length !== 4 * t.shape.reduce((a, b) => a * b, 1)) {
    throw new TfliteError(
      `${where}: expected constant int32 ${what}, found ${t === undefined ? 'none' : `"${t.name}" ${t.type.toLowerCase()} ${t.shape.join('×')}`}`,
    );
  }
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return Array.from({ length: t.data.length / 4 }, (_, i) => view.getInt32(4 * i, true));
}

/** PAD's paddings: [[0, 0], [top, bottom], [left, right], [0, 0]]. */
function paddings(t: TfliteTensor | undefined, where: string): Pads {
  if (t === undefined || t.data === null || (t.type !== 'INT32' && t.type !== 'INT64') || t.shape.join() !== '4,2') {
    throw new TfliteError(
      `${where}: expected constant int32 paddings of shape 4×2, found ${t === undefined ? 'none' : `"${t.name}" ${t.type.toLowerCase()} ${t.shape.join('×')}`}`,
    );
  }
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const at = (i: number) => (t.type === 'INT32' ? view.getInt32(4 * i, true) : Number(view.getBigInt64(8 * i, true)));
  const p = Array.from({ length: 8 }, (_, i) => at(i));
  if (p[0] !== 0 || p[1] !== 0 || p[6] !== 0 || p[7] !== 0 || p.some((n) => n < 0)) {
    throw new TfliteError(`${where}: pads [${p.join(', ')}]; expected rows and columns only, none negative`);
  }
  return { top: p[2]!, bottom: p[3]!, left: p[4]!, right: p[5]! };
}

/** TFLite's SAME padding along one axis: [before, after], the odd one after. */
function samePadding(size: number, k: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** std::round: half away from zero. */
const roundAway = (x: number) => Math.sign(x) * Math.round(Math.abs(x));

/** TFLite's CalculateActivationRangeQuantized: the clamp of a fused activation, from the output's scale and zero point. */
function activationRange(act: FusedActivation, out: { scale: number; zeroPoint: number }, where: string): [number, number] {
  // TFLite divides in float: f / scale with both float32.
  const q = (f: number) => out.zeroPoint + roundAway(Math.fround(f / out.scale));
  switch (act) {
    case 'NONE':
      return [-128, 127];
    case 'RELU':
      return [Math.max(-128, q(0)), 127];
    case 'RELU6':
      return [Math.max(-128, q(0)), Math.min(127, q(6))];
    case 'RELU_N1_TO_1':
      return [Math.max(-128, q(-1)), Math.min(127, q(1))];
    default:
      throw new TfliteError(`${where}: fused activation ${act}; rig imports NONE, RELU, RELU6 and RELU_N1_TO_1`);
  }
}

/** Per-channel requantization as TFLite prepares it: (input scale · weight scale) / output scale in double, then QuantizeMultiplier. */
function requant(
  inScale: number,
  weightScales: readonly number[],
  out: { scale: number; zeroPoint: number },
  bias: Int32Array,
  act: FusedActivation,
  where: string,
): Requant {
  const multiplier = new Int32Array(weightScales.length);
  const shift = new Int32Array(weightScales.length);
  weightScales.forEach((w, c) => {
    const q: QuantizedScale = quantizeMultiplier((inScale * w) / out.scale);
    multiplier[c] = q.multiplier;
    shift[c] = q.shift;
  });
  const [actMin, actMax] = activationRange(act, out, where);
  return { bias, multiplier, shift, actMin, actMax };
}

const pointwise = (op: Op | undefined) => op?.kind === 'conv2d' && op.kh === 1 && op.kw === 1;

/**
 * Blocks from the graph: an inverted bottleneck ([1×1 expand →] depthwise → 1×1 project) is one
 * block, and so is everything from a residual's fork to its ADD; any other op is a block of its own.
 */
function deriveBlocks(ops: readonly Op[]): number[] {
  const blocks: number[] = [];
  ops.forEach((op, i) => {
    const prev = ops[i - 1];
    const chained = prev !== undefined && op.inputs.includes(prev.output);
    const prevStarts = i < 2 || blocks[i - 1] !== blocks[i - 2];
    const joins = chained && ((op.kind === 'dwconv2d' && pointwise(prev) && prevStarts) || (pointwise(op) && prev.kind === 'dwconv2d'));
    blocks.push(i === 0 ? 0 : joins ? blocks[i - 1]! : blocks[i - 1]! + 1);
  });
  ops.forEach((op, i) => {
    if (op.kind !== 'add') return;
    const readers = op.inputs.map((t) => ops.findIndex((o, j) => j < i && o.inputs.includes(t))).filter((j) => j >= 0);
    if (readers.length === 0) return;
    const first = Math.min(...readers);
    for (let j = first; j <= i; j++) blocks[j] = blocks[first]!;
  });
  const dense = new Map<number, number>();
  return blocks.map((b) => {
    if (!dense.has(b)) dense.set(b, dense.size);
    return dense.get(b)!;
  });
}

/** Blocks and names as the zoo's lowering gives them: b3_expand, b3_dw, b3_project, b3_add, b0_conv2d. */
function nameOps(ops: readonly Op[]): Op[] {
  const blocks = deriveBlocks(ops);
  const used = new Set<string>();
  return ops.map((op, i) => {
    const inBlock = (j: number) => ops[j] !== undefined && blocks[j] === blocks[i];
    let role: string = op.kind;
    if (pointwise(op) && inBlock(i + 1) && ops[i + 1]!.kind === 'dwconv2d') role = 'expand';
    else if (pointwise(op) && inBlock(i - 1) && ops[i - 1]!.kind === 'dwconv2d') role = 'project';
    else if (op.kind === 'dwconv2d' && (inBlock(i - 1) || inBlock(i + 1))) role = 'dw';
    const base = `b${blocks[i]}_${role}`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return { ...op, name, block: blocks[i]! };
  });
}
