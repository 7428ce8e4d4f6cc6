// Lowers a model spec to the integer IR, with weights, biases and input drawn from a seeded PRNG.
// Real-valued scales are chosen so activations keep a healthy spread through the network (about a
// unit of real value per standard deviation, as after batch normalization); they only serve to
// derive each layer's fixed-point multipliers, TFLite-style.
import { ValidationError, type Issue } from '../util/errors.js';
import { convOutputSize, type Activation, type Model, type Op, type Requant, type Shape, type Tensor } from './ir.js';
import { createPrng, type Prng } from './prng.js';
import { clamp, quantizeMultiplier } from './quant.js';
import type { BlockSpec, ModelSpec } from './spec.js';

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

export function lowerModel(spec: ModelSpec, seed: number, file = `model ${spec.name}`): Model {
  const tensors: Tensor[] = [];
  const ops: Op[] = [];
  const issues: Issue[] = [];
  const addTensor = (name: string, shape: Shape, scale: number, zeroPoint: number, rms: number): QTensor => {
    const id = tensors.length;
    tensors.push({ id, name, shape, zeroPoint });
    return { id, shape, scale, zeroPoint, rms };
  };

  // The input behaves like an image: int8 values from a uint8 range shifted by 128.
  let current = addTensor('input', spec.input, 1 / 64, -128, Math.sqrt(2 * 2 + 1.15 * 1.15));

  spec.blocks.forEach((block: BlockSpec, index) => {
    const name = `b${index}_${block.type}`;
    const prng = createPrng(seed, index + 1);
    const [h, w, c] = current.shape;
    switch (block.type) {
      case 'conv2d':
      case 'dwconv2d': {
        const pad = block.pad ?? Math.floor(block.k / 2);
        const outH = convOutputSize(h, block.k, block.stride, pad);
        const outW = convOutputSize(w, block.k, block.stride, pad);
        if (outH < 1 || outW < 1) {
          issues.push({
            path: `blocks[${index}]`,
            message: `expected a kernel that fits its ${h}×${w} input with padding ${pad}, found k=${block.k}`,
          });
          return;
        }
        if (pad >= block.k) {
          issues.push({ path: `blocks[${index}].pad`, message: `expected less than k=${block.k}, found ${pad}` });
          return;
        }
        const depthwise = block.type === 'dwconv2d';
        const outC = depthwise ? c : block.out;
        const fanIn = depthwise ? block.k * block.k : block.k * block.k * c;
        const outQ = outputQuant(block.act, 1);
        const { requant } = makeRequant(prng, outC, fanIn, current, outQ, block.act);
        const weights = randomWeights(prng, depthwise ? block.k * block.k * c : outC * block.k * block.k * c);
        const out = addTensor(name, [outH, outW, outC], outQ.scale, outQ.zeroPoint, rmsAfter(block.act, 1));
        ops.push({
          kind: block.type,
          name,
          block: index,
          input: current.id,
          output: out.id,
          kh: block.k,
          kw: block.k,
          stride: block.stride,
          padTop: pad,
          padLeft: pad,
          weights,
          requant,
        });
        current = out;
        return;
      }
      case 'avgpool': {
        const out = addTensor(name, [1, 1, c], current.scale, current.zeroPoint, current.rms);
        ops.push({ kind: 'avgpool', name, block: index, input: current.id, output: out.id, actMin: -128, actMax: 127 });
        current = out;
        return;
      }
      case 'fc': {
        const fanIn = h * w * c;
        const outQ = outputQuant(block.act, 1);
        const { requant } = makeRequant(prng, block.out, fanIn, current, outQ, block.act);
        const weights = randomWeights(prng, block.out * fanIn);
        const out = addTensor(name, [1, 1, block.out], outQ.scale, outQ.zeroPoint, rmsAfter(block.act, 1));
        ops.push({ kind: 'fc', name, block: index, input: current.id, output: out.id, weights, requant });
        current = out;
        return;
      }
    }
  });
  if (issues.length > 0) throw new ValidationError(file, issues);

  const inputPrng = createPrng(seed, INPUT_STREAM);
  const inputTensor = tensors[0]!;
  const inputData = new Int8Array(inputTensor.shape[0] * inputTensor.shape[1] * inputTensor.shape[2]);
  for (let i = 0; i < inputData.length; i++) inputData[i] = inputPrng.int(-128, 127);

  return { name: spec.name, seed, tensors, ops, input: 0, output: current.id, inputData };
}
