// Random model specs for tests: odd sizes, every kernel size from 1 to 7, stride 2 at odd inputs,
// padding 0 or "same", residual blocks, odd channel counts, k×k average pools and softmaxes inside
// the network. Deterministic per seed.
import { convOutputSize } from './ir.js';
import { createPrng } from './prng.js';
import type { ModelSpecInput } from './spec.js';

type Block = ModelSpecInput['blocks'][number];

export function randomSpec(seed: number, { minSize = 7, maxSize = 23 } = {}): ModelSpecInput {
  const r = createPrng(seed, 0x5eed);
  const pick = <T>(xs: readonly T[]): T => xs[r.int(0, xs.length - 1)]!;
  let h = r.int(minSize, maxSize);
  let w = r.int(minSize, maxSize);
  let c = r.int(1, 5);
  const input: [number, number, number] = [h, w, c];
  const blocks: Block[] = [];
  const count = r.int(2, 5);
  for (let i = 0; i < count; i++) {
    const type = pick(['conv2d', 'mbconv', 'mbconv', 'dwconv2d', 'conv2d', 'mbconv', 'mbconv', 'dwconv2d', 'avgpool', 'softmax'] as const);
    if (type === 'softmax') {
      blocks.push({ type, beta: pick([1, 0.5, 2]) });
      continue;
    }
    if (type === 'avgpool') {
      // A k×k pool at stride 1, 2 or k, VALID or padded.
      const k = pick([2, 3, 5]);
      const stride = pick([1, 2, k]);
      const pad = r.int(0, 1) === 0 ? 0 : Math.floor(k / 2);
      const outH = convOutputSize(h, k, stride, pad);
      const outW = convOutputSize(w, k, stride, pad);
      if (outH < 2 || outW < 2) continue;
      blocks.push({ type, k, stride, pad });
      h = outH;
      w = outW;
      continue;
    }
    const k = type === 'conv2d' ? pick([1, 2, 3, 5, 7]) : pick([3, 5, 7]);
    const stride = h >= 6 && w >= 6 && r.int(0, 2) === 0 ? 2 : 1;
    const pad = type !== 'mbconv' && h >= k && w >= k && r.int(0, 3) === 0 ? 0 : undefined;
    const p = pad ?? Math.floor(k / 2);
    const outH = convOutputSize(h, k, stride, p);
    const outW = convOutputSize(w, k, stride, p);
    if (outH < 2 || outW < 2) continue;
    const act = pick(['relu', 'relu6', 'none'] as const);
    if (type === 'conv2d') {
      c = r.int(1, 9);
      blocks.push({ type, out: c, k, stride, act, ...(pad === undefined ? {} : { pad }) });
    } else if (type === 'dwconv2d') {
      blocks.push({ type, k, stride, act, ...(pad === undefined ? {} : { pad }) });
    } else {
      // Keep the channels now and then so that stride-1 blocks get their residual add.
      const out = r.int(0, 1) === 0 ? c : r.int(1, 9);
      blocks.push({ type, expand: pick([1, 2, 3, 2.5]), out, k, stride, act });
      c = out;
    }
    h = outH;
    w = outW;
  }
  if (blocks.length === 0) blocks.push({ type: 'conv2d', out: 3, k: 3, stride: 1 });
  blocks.push({ type: 'avgpool' }, { type: 'fc', out: r.int(2, 5) });
  return { name: `random-${seed}`, input, blocks };
}

// Wide enough for interior columns in every kernel size, odd channel counts, both strides.
export const WIDE_ODD_SPEC: ModelSpecInput = {
  name: 'wide-odd',
  input: [21, 19, 3],
  blocks: [
    { type: 'conv2d', out: 13, k: 3, stride: 2, act: 'relu6' },
    { type: 'mbconv', expand: 3, out: 13, k: 3, stride: 1 },
    { type: 'mbconv', expand: 2, out: 13, k: 5, stride: 1 },
    { type: 'mbconv', expand: 3, out: 15, k: 7, stride: 1 },
    { type: 'dwconv2d', k: 3, stride: 2, act: 'relu' },
    { type: 'mbconv', expand: 2, out: 15, k: 5, stride: 2 },
    { type: 'conv2d', out: 9, k: 1, stride: 2, act: 'none' },
    { type: 'avgpool' },
    { type: 'fc', out: 5 },
  ],
};

/** A small transformer with odd sizes: 3 heads of 5, 17 tokens (4×4 patches and the class token), one low-rank encoder. */
export const TINY_VIT: ModelSpecInput = {
  name: 'tiny-vit',
  input: [19, 17, 3],
  blocks: [
    { type: 'patchembed', patch: 4, dim: 15 },
    { type: 'encoder', heads: 3, mlp: 3 },
    { type: 'encoder', heads: 3, mlp: 2, rank: 0.6 },
    { type: 'classifier', out: 7 },
  ],
};
