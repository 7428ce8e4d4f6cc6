import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../util/errors.js';
import type { AvgPool2dOp } from './ir.js';
import { lowerModel } from './lower.js';
import { parseModelSpec } from './spec.js';
import { TINY_CNN } from './zoo.js';

function problems(value: unknown): string[] {
  try {
    lowerModel(parseModelSpec(value, 'net.json'), 1, 'net.json');
  } catch (error) {
    assert.ok(error instanceof ValidationError, String(error));
    return error.message.split('\n');
  }
  assert.fail('expected a validation error');
}

test('schema errors name the file, the path, what was expected and what was found', () => {
  const lines = problems({ name: 'n', input: [8, 8], blocks: [{ type: 'conv2d', out: -1, k: 3 }, { type: 'pool' }] });
  assert.ok(
    lines.some((l) => /^net\.json: input: .*found an array of 2/.test(l)),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) => /^net\.json: blocks\[0\]\.out: .*found -1/.test(l)),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) => /^net\.json: blocks\[1\]\.type: .*found "pool"/.test(l)),
    lines.join('\n'),
  );
});

test('unknown keys and shape rules are reported with their paths', () => {
  assert.match(problems({ name: 'n', input: [8, 8, 3], blocks: [{ type: 'fc', out: 2, kernel: 3 }] }).join('\n'), /blocks\[0\]: .*kernel/);
  assert.match(
    problems({ name: 'n', input: [4, 4, 3], blocks: [{ type: 'conv2d', out: 2, k: 7, pad: 0 }] }).join('\n'),
    /^net\.json: blocks\[0\]: expected a kernel that fits its 4×4 input with padding 0, found k=7$/,
  );
  assert.match(problems({ name: 'bad name', input: [4, 4, 3], blocks: [{ type: 'avgpool' }] }).join('\n'), /^net\.json: name: /);
});

test('an average pool is global without k, k×k with it (stride k, no padding unless given); a softmax takes beta', () => {
  const model = lowerModel(
    parseModelSpec(
      {
        name: 'pools',
        input: [9, 7, 5],
        blocks: [{ type: 'avgpool', k: 2 }, { type: 'avgpool', k: 3, stride: 1, pad: 1 }, { type: 'softmax', beta: 0.5 }, { type: 'avgpool' }],
      },
      'pools.json',
    ),
    1,
  );
  assert.deepEqual(
    model.ops.map((o) => [o.kind, model.tensors[o.output]!.shape]),
    [
      ['avgpool2d', [4, 3, 5]],
      ['avgpool2d', [4, 3, 5]],
      ['softmax', [4, 3, 5]],
      ['avgpool', [1, 1, 5]],
    ],
  );
  const [half, same] = model.ops as [AvgPool2dOp, AvgPool2dOp];
  assert.deepEqual([half.kh, half.stride, half.padTop, same.kh, same.stride, same.padTop], [2, 2, 0, 3, 1, 1]);
  assert.equal(model.tensors[model.ops[2]!.output]!.zeroPoint, -128);
  assert.match(
    problems({ name: 'n', input: [4, 4, 3], blocks: [{ type: 'avgpool', stride: 2 }] }).join('\n'),
    /^net\.json: blocks\[0\]\.k: expected a window size k with stride or pad \(without k the pool is global\)$/,
  );
  assert.match(
    problems({ name: 'n', input: [4, 4, 3], blocks: [{ type: 'avgpool', k: 2, pad: 2 }] }).join('\n'),
    /^net\.json: blocks\[0\]\.pad: expected less than k=2, found 2$/,
  );
  assert.match(
    problems({ name: 'n', input: [4, 4, 3], blocks: [{ type: 'avgpool', k: 5 }] }).join('\n'),
    /^net\.json: blocks\[0\]: expected a window that fits its 4×4 input with padding 0, found k=5$/,
  );
  assert.match(problems({ name: 'n', input: [4, 4, 3], blocks: [{ type: 'softmax', beta: 0 }] }).join('\n'), /^net\.json: blocks\[0\]\.beta: /);
});

test('the same seed gives the same bytes; another seed other bytes', () => {
  const spec = parseModelSpec(TINY_CNN, 'tiny-cnn');
  const a = lowerModel(spec, 1);
  const b = lowerModel(spec, 1);
  const c = lowerModel(spec, 2);
  assert.deepEqual(a.inputData, b.inputData);
  assert.deepEqual(a.ops, b.ops);
  assert.notDeepEqual(a.inputData, c.inputData);
  const first = a.ops[0]!;
  assert.ok(first.kind === 'conv2d');
  assert.equal(first.weights.length, 8 * 3 * 3 * 3);
  // Weights are spread over the int8 range, multipliers are proper Q31 mantissas.
  assert.ok(Math.max(...first.weights) > 100 && Math.min(...first.weights) < -100);
  for (const m of first.requant.multiplier) assert.ok(m >= 2 ** 30 && m < 2 ** 31);
});

test('sizes beyond the limits are refused with their path, what is allowed and what was found, before anything is allocated', () => {
  const net = (input: unknown, blocks: unknown[]) => problems({ name: 'n', input, blocks }).join('\n');
  assert.match(
    net(
      [8, 8, 3],
      [
        { type: 'conv2d', out: 4, k: 3 },
        { type: 'mbconv', expand: 0.001, out: 4, k: 3 },
      ],
    ),
    /^net\.json: blocks\[1\]\.expand: expected an expansion that gives 1 to 8192 channels, found 0\.001: 4 input channels × 0\.001 rounds to 0$/,
  );
  assert.match(net([8, 8, 3], [{ type: 'mbconv', expand: 1e9, out: 4, k: 3 }]), /^net\.json: blocks\[0\]\.expand: .*64 \(found 1000000000\)$/m);
  assert.match(net([1e9, 1e9, 3], [{ type: 'avgpool' }]), /^net\.json: input\[0\]: .*4096 \(found 1000000000\)$/m);
  assert.match(
    net([4096, 4096, 3], [{ type: 'avgpool' }]),
    /^net\.json: input: expected an input of at most 16,777,216 bytes .*found 4096 × 4096 × 3 = 50,331,648$/m,
  );
  assert.match(
    net(
      [8, 8, 3],
      Array.from({ length: 130_000 }, () => ({ type: 'avgpool' })),
    ),
    /^net\.json: blocks: .*256 items \(found an array of 130000\)$/m,
  );
  assert.match(
    net([2048, 2048, 3], [{ type: 'conv2d', out: 64, k: 3 }]),
    /^net\.json: blocks\[0\]: expected an output of at most 16,777,216 bytes, found 2048×2048×64/,
  );
  assert.match(
    net([1024, 1024, 3], [{ type: 'fc', out: 8000 }]),
    /^net\.json: blocks\[0\]: expected at most 67,108,864 bytes of weights .*found 25,165,824,000/,
  );
  assert.match(net([8, 8, 3], [{ type: 'conv2d', out: 100_000, k: 99 }]), /blocks\[0\]\.out: .*8192 \(found 100000\)\n.*blocks\[0\]\.k: .*15 \(found 99\)/);
});
