// Lowers a model spec to the integer IR, with weights, biases and input drawn from a seeded PRNG.
// Real-valued scales are chosen so activations keep a healthy spread through the network (about a
// unit of real value per standard deviation, as after batch normalization); they only serve to
// derive each layer's fixed-point multipliers, TFLite-style.
import { ValidationError, type Issue } from '../util/errors.js';
import { formatInt } from '../util/format.js';
import { SPEC_LIMITS } from '../util/limits.js';
import {
  checkModel,
  convOutputSize,
  tensorBytes,
  type Activation,
  type Model,
  type Op,
  type Requant,
  type Shape,
  type Tensor,
  type TransformerArchitecture,
} from './ir.js';
import { createPrng, type Prng } from './prng.js';
import { addRescale, clamp, quantizeMultiplier } from './quant.js';
import type { BlockSpec, ModelSpec } from './spec.js';
import { geluTable } from '../ops/gelu.js';
import { LAYERNORM_Q } from '../ops/layernorm.js';
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

/** A spec's transformer hyper-parameters, when it has a patch embedding and encoders that all agree. */
function transformerArchitecture(spec: ModelSpec, tensors: readonly Tensor[]): { architecture?: TransformerArchitecture } {
  const embed = spec.blocks.find((b) => b.type === 'patchembed');
  const encoders = spec.blocks.flatMap((b) => (b.type === 'encoder' ? [b] : []));
  const first = encoders[0];
  if (embed === undefined || first === undefined) return {};
  if (encoders.some((e) => e.heads !== first.heads || e.mlp !== first.mlp || e.rank !== first.rank)) return {};
  const tokens = tensors.find((t) => t.shape[1] === 1 && t.shape[2] === embed.dim && t.name.endsWith('_tokens'));
  if (tokens === undefined) return {};
  return {
    architecture: { dim: embed.dim, patches: tokens.shape[0] - 1, mlp: first.mlp, rank: first.rank ?? 1, heads: first.heads, depth: encoders.length },
  };
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

  /** A linear layer on every token, `none` activation (rms about 1 at the output). */
  const linear = (name: string, block: number, input: QTensor, out: number, hasBias: boolean): QTensor => {
    const prng = prngFor();
    const inC = input.shape[2];
    const outQ = outputQuant('none', 1);
    const { requant } = makeRequant(prng, out, inC, input, outQ, 'none');
    const weights = randomWeights(prng, out * inC);
    const result = addTensor(name, [input.shape[0], input.shape[1], out], outQ.scale, outQ.zeroPoint, 1);
    ops.push({
      kind: 'linear',
      name,
      block,
      inputs: [input.id],
      output: result.id,
      outChannels: out,
      weights,
      requant: hasBias ? requant : { ...requant, bias: new Int32Array(out) },
      hasBias,
    });
    return result;
  };
  /** A linear layer, or with rank ratio ρ its three low-rank factors in→r, r→r, r→out (MCUFormer). */
  const lowRank = (path: string, name: string, block: number, input: QTensor, out: number, rank: number | undefined): QTensor | undefined => {
    const inC = input.shape[2];
    if (!hostHolds(path, [input.shape[0], input.shape[1], Math.max(out, inC)], out * inC)) return undefined;
    if (rank === undefined) return linear(name, block, input, out, true);
    const r = Math.floor(Math.min(inC, out) * rank);
    if (r < 1) {
      issues.push({ path: `${path}.rank`, message: `expected a rank ratio that keeps at least 1 channel of ${Math.min(inC, out)}, found ${rank}` });
      return undefined;
    }
    const a = linear(`${name}_a`, block, input, r, false);
    const b = linear(`${name}_b`, block, a, r, false);
    return linear(`${name}_c`, block, b, out, true);
  };
  /** LayerNorm over each token's channels: γ about 1, β about 0, output rms about 1. */
  const layerNorm = (name: string, block: number, input: QTensor): QTensor => {
    const prng = prngFor();
    const c = input.shape[2];
    const gammaScale = 1 / 96;
    const accScale = gammaScale / 2 ** LAYERNORM_Q;
    const outQ = outputQuant('none', 1);
    const weights = new Int8Array(c);
    const bias = new Int32Array(c);
    const multiplier = new Int32Array(c);
    const shift = new Int32Array(c);
    const q = quantizeMultiplier(accScale / outQ.scale);
    for (let i = 0; i < c; i++) {
      weights[i] = prng.int(64, 127);
      bias[i] = Math.round(((prng.float() - 0.5) * 0.2) / accScale);
      multiplier[i] = q.multiplier;
      shift[i] = q.shift;
    }
    const out = addTensor(name, input.shape, outQ.scale, outQ.zeroPoint, 1);
    ops.push({ kind: 'layernorm', name, block, inputs: [input.id], output: out.id, weights, requant: { bias, multiplier, shift, actMin: -128, actMax: 127 } });
    return out;
  };
  const quantized = (real: number) => {
    const q = quantizeMultiplier(real);
    return { multiplier: q.multiplier, shift: q.shift };
  };

  // The input behaves like an image: int8 values from a uint8 range shifted by 128.
  let current: QTensor | undefined = addTensor('input', spec.input, 1 / 64, -128, Math.sqrt(2 * 2 + 1.15 * 1.15));
  /** Whether `current` is a token matrix [T, 1, D] (after a patch embedding) rather than an image. */
  let tokens = false;
  const TOKEN_BLOCKS = new Set(['encoder', 'classifier']);

  spec.blocks.forEach((block: BlockSpec, index) => {
    if (current === undefined) return;
    const path = `blocks[${index}]`;
    const name = `b${index}_${block.type}`;
    const input: QTensor = current;
    const [h, w, c] = input.shape;
    if (tokens !== TOKEN_BLOCKS.has(block.type)) {
      issues.push({
        path: `${path}.type`,
        message: tokens
          ? `expected encoder or classifier after a patchembed block (the tensor is a ${h}×${c} token matrix), found ${block.type}`
          : `expected a patchembed block before ${block.type} (it works on tokens; the tensor is a ${h}×${w}×${c} image)`,
      });
      current = undefined;
      return;
    }
    switch (block.type) {
      case 'patchembed': {
        const p = block.patch;
        if (p > h || p > w) {
          issues.push({ path: `${path}.patch`, message: `expected a patch that fits the ${h}×${w} input, found ${p}` });
          current = undefined;
          return;
        }
        const grid = conv(path, `${name}_conv`, index, input, 'conv2d', block.dim, p, p, 0, 'none');
        if (grid === undefined || !hostHolds(path, [grid.shape[0] * grid.shape[1] + 1, 1, block.dim], (grid.shape[0] * grid.shape[1] + 1) * block.dim)) {
          current = undefined;
          return;
        }
        const prng = prngFor();
        const classToken = Int8Array.from({ length: block.dim }, () => prng.int(-32, 32));
        const position = Int8Array.from({ length: grid.shape[0] * grid.shape[1] * block.dim }, () => prng.int(-16, 16));
        const out = addTensor(`${name}_tokens`, [grid.shape[0] * grid.shape[1] + 1, 1, block.dim], grid.scale, grid.zeroPoint, grid.rms);
        ops.push({ kind: 'embed', name: `${name}_tokens`, block: index, inputs: [grid.id], output: out.id, classToken, position });
        current = out;
        tokens = true;
        return;
      }
      case 'encoder': {
        const d = c;
        const heads = block.heads;
        if (d % heads !== 0) {
          issues.push({ path: `${path}.heads`, message: `expected a divisor of the embedding dimension ${d}, found ${heads}` });
          current = undefined;
          return;
        }
        const mlp = Math.round(d * block.mlp);
        if (mlp < 1 || mlp > SPEC_LIMITS.channels) {
          issues.push({
            path: `${path}.mlp`,
            message: `expected an MLP ratio that gives 1 to ${SPEC_LIMITS.channels} hidden channels, found ${block.mlp}: ${d} × ${block.mlp} rounds to ${mlp}`,
          });
          current = undefined;
          return;
        }
        if (!hostHolds(path, [h, heads, h], 0)) {
          current = undefined;
          return;
        }
        const headDim = d / heads;
        const b = `b${index}`;
        const ln1 = layerNorm(`${b}_ln1`, index, input);
        const qkv = lowRank(path, `${b}_qkv`, index, ln1, 3 * d, block.rank);
        if (qkv === undefined) {
          current = undefined;
          return;
        }
        // Scores: q·k/√dh of rms-1 queries and keys has rms about 1.
        const scoresQ = outputQuant('none', 1);
        const scoresT = addTensor(`${b}_scores`, [h, heads, h], scoresQ.scale, scoresQ.zeroPoint, 1);
        const sm = quantized((qkv.scale * qkv.scale) / Math.sqrt(headDim) / scoresQ.scale);
        ops.push({ kind: 'scores', name: `${b}_scores`, block: index, inputs: [qkv.id], output: scoresT.id, heads, headDim, qOffset: 0, kOffset: d, ...sm });
        const params = softmaxParams(1, scoresQ.scale)!;
        const probs = addTensor(`${b}_softmax`, scoresT.shape, SOFTMAX_OUTPUT.scale, SOFTMAX_OUTPUT.zeroPoint, 0.3);
        ops.push({ kind: 'softmax', name: `${b}_softmax`, block: index, inputs: [scoresT.id], output: probs.id, ...params });
        // A weighted mean of rms-1 values; tokens share much, so about as large as they are.
        const ctxQ = outputQuant('none', 1);
        const ctx = addTensor(`${b}_context`, [h, 1, d], ctxQ.scale, ctxQ.zeroPoint, 1);
        const cm = quantized((probs.scale * qkv.scale) / ctxQ.scale);
        ops.push({ kind: 'context', name: `${b}_context`, block: index, inputs: [probs.id, qkv.id], output: ctx.id, heads, headDim, vOffset: 2 * d, ...cm });
        const proj = lowRank(path, `${b}_proj`, index, ctx, d, block.rank);
        if (proj === undefined) {
          current = undefined;
          return;
        }
        const x1 = add(`${b}_add1`, index, input, proj);
        const ln2 = layerNorm(`${b}_ln2`, index, x1);
        const fc1 = lowRank(path, `${b}_fc1`, index, ln2, mlp, block.rank);
        if (fc1 === undefined) {
          current = undefined;
          return;
        }
        // GELU's output lies in [-0.17, ∞): a zero point near the bottom keeps the steps fine.
        const geluScale = 4.2 / 255;
        const geluZp = -117;
        const act = addTensor(`${b}_gelu`, fc1.shape, geluScale, geluZp, 0.65);
        ops.push({
          kind: 'gelu',
          name: `${b}_gelu`,
          block: index,
          inputs: [fc1.id],
          output: act.id,
          table: geluTable(fc1.scale, fc1.zeroPoint, geluScale, geluZp),
        });
        const fc2 = lowRank(path, `${b}_fc2`, index, act, d, block.rank);
        if (fc2 === undefined) {
          current = undefined;
          return;
        }
        current = add(`${b}_add2`, index, x1, fc2);
        return;
      }
      case 'classifier': {
        const cls = addTensor(`${name}_token`, [1, 1, c], input.scale, input.zeroPoint, input.rms);
        ops.push({ kind: 'token', name: `${name}_token`, block: index, inputs: [input.id], output: cls.id, index: 0 });
        const normed = layerNorm(`${name}_ln`, index, cls);
        if (!hostHolds(path, [1, 1, block.out], block.out * c)) {
          current = undefined;
          return;
        }
        const prng = prngFor();
        const outQ = outputQuant('none', 1);
        const { requant } = makeRequant(prng, block.out, c, normed, outQ, 'none');
        const weights = randomWeights(prng, block.out * c);
        const out = addTensor(`${name}_fc`, [1, 1, block.out], outQ.scale, outQ.zeroPoint, 1);
        ops.push({ kind: 'fc', name: `${name}_fc`, block: index, inputs: [normed.id], output: out.id, outChannels: block.out, weights, requant });
        current = out;
        return;
      }
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

  const model: Model = {
    name: spec.name,
    seed,
    tensors,
    ops,
    input: 0,
    output: current.id,
    inputData: seededInput(seed, tensorBytes(tensors[0]!)),
    ...transformerArchitecture(spec, tensors),
  };
  // The spec was validated above; a problem here is the lowering's own.
  const problems = checkModel(model);
  if (problems.length > 0) throw new Error(`lower: ${spec.name} lowered to an inconsistent model: ${problems.slice(0, 3).join('; ')}`);
  return model;
}
