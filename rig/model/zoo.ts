// Built-in models, addressed by name on the command line. The MCUNet zoo, MobileNetV2 and the
// msf-CNN networks are written down from their published architectures; their MACs and
// parameters are checked against the published tables in zoo.test.ts.
import type { ModelSpecInput } from './spec.js';

type Block = ModelSpecInput['blocks'][number];

export const TINY_CNN: ModelSpecInput = {
  name: 'tiny-cnn',
  input: [32, 32, 3],
  blocks: [
    { type: 'conv2d', out: 8, k: 3, stride: 2, act: 'relu' },
    { type: 'dwconv2d', k: 3, stride: 1, act: 'relu' },
    { type: 'conv2d', out: 16, k: 1, stride: 1, act: 'relu' },
    { type: 'avgpool' },
    { type: 'fc', out: 10, act: 'none' },
  ],
};

/** An inverted residual as [expand, mid channels, out channels, kernel, stride]. */
type MbConv = readonly [expand: number, mid: number, out: number, k: number, stride: 1 | 2];

/**
 * MCUNet-zoo layout: 3×3 stride-2 stem, inverted residuals (ReLU6; residual add where stride 1
 * and channels match), an optional 1×1 feature-mix conv, global average pool, classifier.
 */
function zooNet(name: string, resolution: number, stem: number, blocks: readonly MbConv[], featureMix: number | null, classes: number): ModelSpecInput {
  return {
    name,
    input: [resolution, resolution, 3],
    blocks: [
      { type: 'conv2d', out: stem, k: 3, stride: 2, act: 'relu6' },
      ...blocks.map(([expand, mid, out, k, stride]): Block => ({ type: 'mbconv', expand, mid, out, k, stride, act: 'relu6' })),
      ...(featureMix === null ? [] : [{ type: 'conv2d', out: featureMix, k: 1, act: 'relu6' } as const]),
      { type: 'avgpool' },
      { type: 'fc', out: classes, act: 'none' },
    ],
  };
}

// The architectures are tables, four blocks a row.
// prettier-ignore
const ZOO: ModelSpecInput[] = [
  zooNet('mcunet-in0', 48, 24, [
    [1, 24, 16, 3, 1], [4, 64, 16, 5, 2], [3, 48, 16, 3, 1], [4, 64, 16, 3, 1],
    [5, 80, 24, 7, 2], [4, 96, 24, 5, 1], [5, 120, 24, 5, 1], [5, 120, 48, 7, 2],
    [4, 192, 48, 5, 1], [5, 240, 56, 3, 1], [4, 224, 56, 5, 1], [5, 280, 56, 3, 1],
    [6, 336, 112, 3, 2], [4, 448, 112, 5, 1], [6, 672, 192, 3, 1],
  ], null, 1000),
  zooNet('mcunet-in1', 96, 16, [
    [1, 16, 8, 3, 1], [4, 32, 16, 3, 2], [3, 48, 16, 3, 1], [3, 48, 24, 7, 2],
    [5, 120, 24, 3, 1], [5, 120, 40, 3, 2], [4, 160, 40, 7, 1], [4, 160, 48, 5, 1],
    [3, 144, 48, 3, 1], [4, 192, 48, 3, 1], [5, 240, 96, 7, 2], [4, 384, 96, 5, 1],
    [4, 384, 96, 5, 1], [6, 576, 160, 3, 1],
  ], null, 1000),
  zooNet('mcunet-in2', 160, 16, [
    [1, 16, 8, 3, 1], [3, 24, 16, 5, 2], [6, 96, 16, 7, 1], [5, 80, 16, 3, 1],
    [5, 80, 16, 5, 1], [5, 80, 24, 3, 2], [6, 144, 24, 7, 1], [6, 144, 24, 5, 1],
    [4, 96, 40, 7, 2], [5, 200, 40, 5, 1], [5, 200, 48, 3, 1], [5, 240, 48, 5, 1],
    [4, 192, 48, 3, 1], [6, 288, 96, 5, 2], [4, 384, 96, 5, 1], [3, 288, 96, 5, 1],
    [4, 384, 96, 3, 1], [5, 480, 160, 5, 1],
  ], null, 1000),
  zooNet('mcunet-in3', 176, 16, [
    [1, 16, 8, 3, 1], [3, 24, 16, 7, 2], [5, 80, 16, 3, 1], [5, 80, 16, 7, 1],
    [4, 64, 16, 5, 1], [5, 80, 24, 5, 2], [5, 120, 24, 5, 1], [5, 120, 24, 5, 1],
    [5, 120, 40, 3, 2], [6, 240, 40, 7, 1], [4, 160, 40, 5, 1], [5, 200, 48, 5, 1],
    [5, 240, 48, 7, 1], [5, 240, 48, 3, 1], [6, 288, 96, 3, 2], [5, 480, 96, 7, 1],
    [4, 384, 96, 3, 1], [5, 480, 160, 7, 1],
  ], null, 1000),
  zooNet('mcunet-in4', 160, 32, [
    [1, 32, 16, 3, 1], [3, 48, 24, 7, 2], [5, 120, 24, 3, 1], [4, 96, 24, 5, 1],
    [5, 120, 40, 7, 2], [4, 160, 40, 3, 1], [4, 160, 40, 7, 1], [3, 120, 80, 7, 2],
    [3, 240, 80, 3, 1], [3, 240, 80, 7, 1], [4, 320, 96, 3, 1], [3, 288, 96, 5, 1],
    [3, 288, 96, 5, 1], [4, 384, 192, 7, 2], [3, 576, 192, 7, 1], [3, 576, 192, 5, 1],
    [4, 768, 320, 5, 1],
  ], null, 1000),
  zooNet('mcunet-vww0', 64, 16, [
    [1, 16, 8, 3, 1], [6, 48, 16, 5, 2], [4, 64, 16, 3, 1], [5, 80, 24, 3, 2],
    [4, 96, 24, 3, 1], [4, 96, 24, 3, 1], [5, 120, 40, 3, 2], [4, 160, 40, 3, 1],
    [3, 120, 40, 7, 1], [3, 120, 48, 3, 1], [4, 192, 48, 3, 1], [5, 240, 96, 7, 2],
    [5, 480, 96, 5, 1], [4, 384, 160, 7, 1],
  ], null, 2),
  zooNet('mcunet-vww1', 80, 16, [
    [1, 16, 8, 3, 1], [6, 48, 16, 3, 2], [3, 48, 16, 3, 1], [3, 48, 16, 3, 1],
    [3, 48, 24, 7, 2], [6, 144, 24, 3, 1], [5, 120, 24, 5, 1], [6, 144, 40, 7, 2],
    [6, 240, 40, 7, 1], [6, 240, 48, 3, 1], [4, 192, 48, 3, 1], [5, 240, 96, 5, 2],
    [5, 480, 96, 3, 1], [4, 384, 96, 3, 1], [3, 288, 160, 7, 1],
  ], null, 2),
  zooNet('mcunet-vww2', 144, 16, [
    [1, 16, 8, 3, 1], [3, 24, 16, 3, 2], [5, 80, 16, 3, 1], [6, 96, 16, 5, 1],
    [3, 48, 16, 3, 1], [5, 80, 24, 7, 2], [4, 96, 24, 5, 1], [4, 96, 24, 3, 1],
    [6, 144, 24, 7, 1], [6, 144, 40, 3, 2], [6, 240, 40, 7, 1], [4, 160, 40, 5, 1],
    [5, 200, 40, 3, 1], [5, 200, 48, 5, 1], [3, 144, 48, 5, 1], [4, 192, 48, 3, 1],
    [3, 144, 48, 5, 1], [4, 192, 96, 3, 2], [5, 480, 96, 5, 1], [4, 384, 96, 5, 1],
    [4, 384, 96, 3, 1], [5, 480, 160, 3, 1],
  ], null, 2),
  zooNet('mbv2-w0.35', 144, 16, [
    [1, 16, 8, 3, 1], [6, 48, 8, 3, 2], [6, 48, 8, 3, 1], [6, 48, 16, 3, 2],
    [6, 96, 16, 3, 1], [6, 96, 16, 3, 1], [6, 96, 24, 3, 2], [6, 144, 24, 3, 1],
    [6, 144, 24, 3, 1], [6, 144, 24, 3, 1], [6, 144, 32, 3, 1], [6, 192, 32, 3, 1],
    [6, 192, 32, 3, 1], [6, 192, 56, 3, 2], [6, 336, 56, 3, 1], [6, 336, 56, 3, 1],
    [6, 336, 112, 3, 1],
  ], 448, 1000),
  zooNet('proxyless-w0.3', 176, 16, [
    [1, 16, 8, 3, 1], [3, 24, 16, 5, 2], [3, 48, 16, 3, 1], [3, 48, 16, 7, 2],
    [3, 48, 16, 3, 1], [3, 48, 16, 5, 1], [3, 48, 16, 5, 1], [6, 96, 24, 7, 2],
    [3, 72, 24, 5, 1], [3, 72, 24, 5, 1], [3, 72, 24, 5, 1], [6, 144, 32, 5, 1],
    [3, 96, 32, 5, 1], [3, 96, 32, 5, 1], [3, 96, 32, 5, 1], [6, 192, 64, 7, 2],
    [6, 384, 64, 7, 1], [3, 192, 64, 7, 1], [3, 192, 64, 7, 1], [6, 384, 96, 7, 1],
  ], 384, 1000),
  zooNet('mbv2-w1.0-r224', 224, 32, [
    [1, 32, 16, 3, 1], [6, 96, 24, 3, 2], [6, 144, 24, 3, 1], [6, 144, 32, 3, 2],
    [6, 192, 32, 3, 1], [6, 192, 32, 3, 1], [6, 192, 64, 3, 2], [6, 384, 64, 3, 1],
    [6, 384, 64, 3, 1], [6, 384, 64, 3, 1], [6, 384, 96, 3, 1], [6, 576, 96, 3, 1],
    [6, 576, 96, 3, 1], [6, 576, 160, 3, 2], [6, 960, 160, 3, 1], [6, 960, 160, 3, 1],
    [6, 960, 320, 3, 1],
  ], 1280, 1000),
];

/** msf-CNN block as [expand, out channels, stride, kernel]. */
type MsfBlock = readonly [expand: number, out: number, stride: 1 | 2, k: number];

/**
 * msf-CNN's networks as they count them: every block is a 1×1 expand (kept even when expand is 1,
 * int(in × e) channels) → k×k depthwise → 1×1 project, with no residual adds, and the network
 * ends at its last layer (no pool, no classifier).
 */
function msfNet(name: string, resolution: number, stem: readonly Block[], blocks: readonly MsfBlock[], head: readonly Block[] = []): ModelSpecInput {
  let channels = stem.reduce((c, b) => (b.type === 'conv2d' ? b.out : c), 3);
  const body: Block[] = [];
  for (const [expand, out, stride, k] of blocks) {
    body.push(
      { type: 'conv2d', out: Math.floor(channels * expand), k: 1, act: 'relu6' },
      { type: 'dwconv2d', k, stride, act: 'relu6' },
      { type: 'conv2d', out, k: 1, act: 'none' },
    );
    channels = out;
  }
  return { name, input: [resolution, resolution, 3], blocks: [...stem, ...body, ...head] };
}

const repeat = <T>(item: T, n: number): T[] => Array.from({ length: n }, () => item);

// prettier-ignore
const MSF: ModelSpecInput[] = [
  msfNet(
    'msf-mbv2-w0.35-r144',
    144,
    [{ type: 'conv2d', out: 11, k: 3, stride: 2, act: 'relu6' }],
    [
      [1, 5, 1, 3], [6, 8, 2, 3], [6, 8, 1, 3], [6, 11, 2, 3], [6, 11, 1, 3], [6, 11, 1, 3], [6, 22, 2, 3],
      ...repeat<MsfBlock>([6, 22, 1, 3], 3), ...repeat<MsfBlock>([6, 33, 1, 3], 3),
      [6, 56, 2, 3], ...repeat<MsfBlock>([6, 56, 1, 3], 2), [6, 112, 1, 3],
    ],
    [{ type: 'conv2d', out: 448, k: 1, act: 'relu6' }],
  ),
  msfNet(
    'msf-vww-5fps-r80',
    80,
    [
      { type: 'conv2d', out: 16, k: 3, stride: 2, act: 'relu6' },
      { type: 'dwconv2d', k: 3, stride: 1, act: 'relu6' },
      { type: 'conv2d', out: 8, k: 1, act: 'none' },
    ],
    [
      [6, 16, 2, 3], [3, 16, 1, 3], [3, 16, 1, 3], [3, 24, 2, 7], [6, 24, 1, 3], [5, 24, 1, 5], [6, 40, 2, 7],
      [6, 40, 1, 7], [6, 48, 1, 3], [4, 48, 1, 3], [5, 96, 2, 5], [5, 96, 1, 3], [4, 96, 1, 3], [3, 160, 1, 7],
    ],
  ),
  msfNet(
    'msf-mcunet-320kb-r176',
    176,
    [
      { type: 'conv2d', out: 16, k: 3, stride: 2, act: 'relu6' },
      { type: 'dwconv2d', k: 3, stride: 1, act: 'relu6' },
      { type: 'conv2d', out: 8, k: 1, act: 'none' },
    ],
    [
      [3, 16, 2, 7], [5, 16, 1, 3], [5, 16, 1, 7], [4, 16, 1, 5], [5, 24, 2, 5], [5, 24, 1, 5], [5, 24, 1, 5],
      [5, 40, 2, 3], [6, 40, 1, 7], [4, 40, 1, 5], [5, 48, 1, 5], [5, 48, 1, 7], [5, 48, 1, 3], [6, 96, 2, 3],
      [5, 96, 1, 7], [4, 96, 1, 3], [5, 160, 1, 7],
    ],
  ),
];

/** A vision transformer: patch embedding, `depth` encoder layers, the class token's classifier. */
function vit(
  name: string,
  resolution: number,
  patch: number,
  dim: number,
  heads: number,
  depth: number,
  mlp: number,
  rank: number | undefined,
  classes: number,
): ModelSpecInput {
  const encoder: Block = rank === undefined ? { type: 'encoder', heads, mlp } : { type: 'encoder', heads, mlp, rank };
  return {
    name,
    input: [resolution, resolution, 3],
    blocks: [{ type: 'patchembed', patch, dim }, ...repeat(encoder, depth), { type: 'classifier', out: classes }],
  };
}

/**
 * Vision transformers for MCUFormer's memory schedule: a small ViT, a low-rank one that fits the
 * F746's internal flash, and one of MCUFormer's size (its search space "T": D 192, 3 heads, depth
 * 12, MLP 4, rank ratio 0.4, 240×240, patch 16), whose weights need external flash.
 */
export const TRANSFORMERS: readonly ModelSpecInput[] = [
  vit('vit-d64-l4-r96-p8', 96, 8, 64, 2, 4, 4, undefined, 2),
  vit('vit-d96-l6-r160-p16', 160, 16, 96, 2, 6, 4, 0.5, 1000),
  vit('mcuformer-d192-l12-r240-p16', 240, 16, 192, 3, 12, 4, 0.4, 1000),
];

export const BUILTIN_MODELS: ReadonlyMap<string, ModelSpecInput> = new Map([TINY_CNN, ...ZOO, ...MSF, ...TRANSFORMERS].map((m) => [m.name, m]));

export const DEFAULT_MODEL = TINY_CNN.name;
