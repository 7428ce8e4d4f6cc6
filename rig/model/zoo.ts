// Built-in models, addressed by name on the command line.
import type { ModelSpecInput } from './spec.js';

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

export const BUILTIN_MODELS: ReadonlyMap<string, ModelSpecInput> = new Map([[TINY_CNN.name, TINY_CNN]]);

export const DEFAULT_MODEL = TINY_CNN.name;
