// Lowers a model spec to the integer IR, with weights, biases and input drawn from a seeded PRNG.
// Real-valued scales are chosen so activations keep a healthy spread through the network (about a
// unit of real value per standard deviation, as after batch normalization); they only serve to
// derive each layer's fixed-point multipliers, TFLite-style.
import { ValidationError, type Issue } from '../util/errors.js';
import { formatInt } from '../util/format.js';
import { SPEC_LIMITS } from '../util/limits.js';
import { checkModel, convOutputSize, tensorBytes, type Activation, type Model, type Op, type Requant, type Shape, type Tensor } from './ir.js';
import { createPrng, type Prng } from './prng.js';
import { addRescale, clamp, quantizeMultiplier } from './quant.js';
import type { BlockSpec, ModelSpec } from './spec.js';
import { SOFTMAX_OUTPUT, softmaxParams } from '../ops/softmax.js';

interface QTensor {
  id: number;
  shape: Shape;
  scale: number;
  zeroPoint: number;
  /** Root-mean-square of the real values, to size the next layer's scales. */
  rms: number;
}

const INPUT_STREAM = 0x7fff;
const UNIFORM_WEIGHT_RMS = 127 / Math.sqrt(3);

function outputQuant(act: Activation, rms: number): { scale: number; zeroPoint: number } {
  switch (act) {
    case 'relu6':
      return { scale: 6 / 255, zeroPoint: -128 };
    case 'relu':
      return { scale: (4 * rms) / 255, zeroPoint: -128 };
    case 'none':
      return { scale: (8 * rms) / 255, zeroPoint: 0 };
  }
}

function activationRange(act: Activation, scale: number, zeroPoint: number): [number, number] {
  const q = (real: number) => zeroPoint + Math.round(real / scale);
  switch (act) {
    case 'relu':
      return [clamp(q(0), -128, 127), 127];
    case 'relu6':
      return [clamp(q(0), -128, 127), clamp(q(6), -128, 127)];
    case 'none':
      return [-128, 127];
  }
}

function rmsAfter(act: Activation, rms: number): number {
  return act === 'none' ? rms : Math.min(rms / Math.SQRT2, 6);
}

/** Weights uniform in [-127, 127]; per-channel scales put each output channel's rms near 1. */
function makeRequant(
  prng: Prng,
  channels: number,
  fanIn: number,
  input: QTensor,
  out: { scale: number; zeroPoint: number },
  act: Activation,
): { requant: Requant; weightScales: Float64Array } {
  const weightScales = new Float64Array(channels);
  const bias = new Int32Array(channels);
  const multiplier = new Int32Array(channels);
  const shift = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const gain = 0.7 + 0.6 * prng.float();
    const wScale = gain / (UNIFORM_WEIGHT_RMS * input.rms * Math.sqrt(fanIn));
    weightScales[c] = wScale;
    const accScale = input.scale * wScale;
    const realBias = (prng.float() - 0.5) * 0.5;
    bias[c] = Math.round(realBias / accScale);
    const q = quantizeMultiplier(accScale / out.scale);
    multiplier[c] = q.multiplier;
    shift[c] = q.shift;
  }
  const [actMin, actMax] = activationRange(act, out.scale, out.zeroPoint);
  return { requant: { bias, multiplier, shift, actMin, actMax }, weightScales };
}

function randomWeights(prng: Prng, count: number): Int8Array {
  const w = new Int8Array(count);
  for (let i = 0; i < count; i++) w[i] = prng.int(-127, 127);
  return w;
}

/** The benchmark's input from the seed: int8 values over the whole range, as an image shifted by 128. */
export function seededInput(seed: number, bytes: number): Int8Array {
  const prng = createPrng(seed, INPUT_STREAM);
  const data = new Int8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = prng.int(-128, 127);
  return data;
}

export function lowerModel(spec: ModelSpec, seed: number, file = `model ${spec.name}`): Model {
  const tensors: Tensor[] = [];
  const ops: Op[] = [];
  const issues: Issue[] = [];
  const addTensor = (name: string, shape: Shape, scale: number, zeroPoint: number, rms: number): QTensor => {
    const id = tensors.length;
    tensors.push({ id, name, shape, zeroPoint });
    return { id, shape, scale, zeroPoint, rms };
  };
  // Every op draws from its own stream, so one block's weights do not depend on another's.
  const prngFor = () => createPrng(seed, ops.length + 1);

  /**
   * Whether the host can hold an op's output and its weights (SPEC_LIMITS), checked before either
   * is allocated; an issue at `path` with the numbers when not.
   */
  let weightBytes = 0;
  const hostHolds = (path: string, shape: Shape, weights: number): boolean => {
    const [oh, ow, oc] = shape;
    const bytes = oh * ow * oc;
    if (bytes > SPEC_LIMITS.tensorBytes) {
      issues.push({
        path,
        message: `expected an output of at most ${formatInt(SPEC_LIMITS.tensorBytes)} bytes, found ${oh}×${ow}×${oc} = ${formatInt(bytes)}`,
      });
      return false;
    }
    weightBytes += weights;
    if (weightBytes > SPEC_LIMITS.weightBytes) {
      issues.push({
        path,
        message: `expected at most ${formatInt(SPEC_LIMITS.weightBytes)} bytes of weights in the whole model, found ${formatInt(weightBytes)} up to this block`,
      });
      return false;
    }
    return true;
  };

  /** A k×k convolution or depthwise convolution; undefined (and an issue) when it cannot fit. */
  const conv = (
    path: string,
    name: string,
    block: number,
    input: QTensor,
    kind: 'conv2d' | 'dwconv2d',
    outChannels: number,
    k: number,
    stride: number,
    padding: number | undefined,
    act: Activation,
  ): QTensor | undefined => {
    const [h, w, c] = input.shape;
    const pad = padding ?? Math.floor(k / 2);
    if (pad >= k) {
      issues.push({ path: `${path}.pad`, message: `expected less than k=${k}, found ${pad}` });
      return undefined;
    }
    const outH = convOutputSize(h, k, stride, pad);
    const outW = convOutputSize(w, k, stride, pad);
    if (outH < 1 || outW < 1) {
      issues.push({ path, message: `expected a kernel that fits its ${h}×${w} input with padding ${pad}, found k=${k}` });
      return undefined;
    }
    const depthwise = kind === 'dwconv2d';
    const outC = depthwise ? c : outChannels;
    if (!hostHolds(path, [outH, outW, outC], depthwise ? k * k * c : outC * k * k * c)) return undefined;
    const prng = prngFor();
    const fanIn = depthwise ? k * k : k * k * c;
    const outQ = outputQuant(act, 1);
    const { requant } = makeRequant(prng, outC, fanIn, input, outQ, act);
    const weights = randomWeights(prng, depthwise ? k * k * c : outC * k * k * c);
    const out = addTensor(name, [outH, outW, outC], outQ.scale, outQ.zeroPoint, rmsAfter(act, 1));
    const fields = { name, block, inputs: [input.id], output: out.id, kh: k, kw: k, stride, padTop: pad, padLeft: pad, weights, requant };
    ops.push(depthwise ? { kind: 'dwconv2d', ...fields } : { kind: 'conv2d', outChannels: outC, ...fields });
    return out;
  };

  const add = (name: string, block: number, a: QTensor, b: QTensor): QTensor => {
    const rms = Math.sqrt(a.rms * a.rms + b.rms * b.rms);
    const out = addTensor(name, a.shape, (8 * rms) / 255, 0, rms);
    ops.push({
      kind: 'add',
      name,
      block,
      inputs: [a.id, b.id],
      output: out.id,
      ...addRescale(a.scale, b.scale, out.scale),
      actMin: -128,
      actMax: 127,
    });
    return out;
  };

  // The input behaves like an image: int8 values from a uint8 range shifted by 128.
  let current: QTensor | undefined = addTensor('input', spec.input, 1 / 64, -128, Math.sqrt(2 * 2 + 1.15 * 1.15));

  spec.blocks.forEach((block: BlockSpec, index) => {
    if (current === undefined) return;
    const path = `blocks[${index}]`;
    const name = `b${index}_${block.type}`;
    const input: QTensor = current;
    const [h, w, c] = input.shape;
    switch (block.type) {
      case 'conv2d':
      case 'dwconv2d':
        current = conv(path, name, index, input, block.type, block.type === 'conv2d' ? block.out : c, block.k, block.stride, block.pad, block.act);
        return;
      case 'mbconv': {
        const mid = block.mid ?? Math.round(c * block.expand);
        if (block.mid === undefined && (mid < 1 || mid > SPEC_LIMITS.channels)) {
          issues.push({
            path: `${path}.expand`,
            message: `expected an expansion that gives 1 to ${SPEC_LIMITS.channels} channels, found ${block.expand}: ${c} input channels × ${block.expand} rounds to ${mid}`,
          });
          current = undefined;
          return;
        }
        if (block.expand === 1 && mid !== c) {
          issues.push({ path: `${path}.mid`, message: `expected ${c} (the input's channels, since expand is 1), found ${mid}` });
          current = undefined;
          return;
        }
        const expanded = block.expand === 1 ? input : conv(path, `b${index}_expand`, index, input, 'conv2d', mid, 1, 1, 0, block.act);
        const dw = expanded && conv(path, `b${index}_dw`, index, expanded, 'dwconv2d', mid, block.k, block.stride, undefined, block.act);
        const projected = dw && conv(path, `b${index}_project`, index, dw, 'conv2d', block.out, 1, 1, 0, 'none');
        current = projected && block.stride === 1 && c === block.out ? add(`b${index}_add`, index, input, projected) : projected;
        return;
      }
      case 'avgpool': {
        if (block.k === undefined) {
          if (block.stride !== undefined || block.pad !== undefined) {
            issues.push({ path: `${path}.k`, message: 'expected a window size k with stride or pad (without k the pool is global)' });
            current = undefined;
            return;
          }
          const out = addTensor(name, [1, 1, c], input.scale, input.zeroPoint, input.rms);
          ops.push({ kind: 'avgpool', name, block: index, inputs: [input.id], output: out.id, actMin: -128, actMax: 127 });
          current = out;
          return;
        }
        const { k, stride = k, pad = 0 } = block;
        const outH = convOutputSize(h, k, stride, pad);
        const outW = convOutputSize(w, k, stride, pad);
        if (pad >= k) issues.push({ path: `${path}.pad`, message: `expected less than k=${k}, found ${pad}` });
        else if (stride > 255 || k > 255) issues.push({ path, message: `expected k and stride of at most 255, found ${k} and ${stride}` });
        else if (outH < 1 || outW < 1) issues.push({ path, message: `expected a window that fits its ${h}×${w} input with padding ${pad}, found k=${k}` });
        else {
          // The mean of a window keeps the input's scale; its spread shrinks a little.
          const out = addTensor(name, [outH, outW, c], input.scale, input.zeroPoint, input.rms);
          ops.push({
            kind: 'avgpool2d',
            name,
            block: index,
            inputs: [input.id],
            output: out.id,
            kh: k,
            kw: k,
            stride,
            padTop: pad,
            padLeft: pad,
            actMin: -128,
            actMax: 127,
          });
          current = out;
          return;
        }
        current = undefined;
        return;
      }
      case 'softmax': {
        const params = softmaxParams(block.beta, input.scale);
        if (params === null) {
          issues.push({ path: `${path}.beta`, message: `expected beta × input scale ${input.scale} × 2^26 above 1, found beta ${block.beta}` });
          current = undefined;
          return;
        }
        const out = addTensor(name, input.shape, SOFTMAX_OUTPUT.scale, SOFTMAX_OUTPUT.zeroPoint, 0.3);
        ops.push({ kind: 'softmax', name, block: index, inputs: [input.id], output: out.id, ...params });
        current = out;
        return;
      }
      case 'fc': {
        const fanIn = h * w * c;
        if (!hostHolds(path, [1, 1, block.out], block.out * fanIn)) {
          current = undefined;
          return;
        }
        const prng = prngFor();
        const outQ = outputQuant(block.act, 1);
        const { requant } = makeRequant(prng, block.out, fanIn, input, outQ, block.act);
        const weights = randomWeights(prng, block.out * fanIn);
        const out = addTensor(name, [1, 1, block.out], outQ.scale, outQ.zeroPoint, rmsAfter(block.act, 1));
        ops.push({ kind: 'fc', name, block: index, inputs: [input.id], output: out.id, outChannels: block.out, weights, requant });
        current = out;
        return;
      }
    }
  });
  if (issues.length > 0 || current === undefined) throw new ValidationError(file, issues);

  const model: Model = { name: spec.name, seed, tensors, ops, input: 0, output: current.id, inputData: seededInput(seed, tensorBytes(tensors[0]!)) };
  // The spec was validated above; a problem here is the lowering's own.
  const problems = checkModel(model);
  if (problems.length > 0) throw new Error(`lower: ${spec.name} lowered to an inconsistent model: ${problems.slice(0, 3).join('; ')}`);
  return model;
}
