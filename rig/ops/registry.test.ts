// The operator registry is the one place that knows every kind: each module is registered under
// its own kind, has its C kernel file, and is not second-guessed elsewhere by a switch on the kind.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { checkModel, type AvgPoolOp, type Conv2dOp, type DwConv2dOp, type FcOp, type Model } from '../model/ir.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec } from '../model/spec.js';
import { TINY_CNN } from '../model/zoo.js';
import { ROOT, TEMPLATES_DIR } from '../util/paths.js';
import { OP_KINDS, opModules } from './registry.js';

const SOURCE = join(ROOT, 'rig');
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

test('every module is registered under its own kind', () => {
  assert.deepEqual(
    opModules().map((m) => m.kind),
    OP_KINDS,
  );
  assert.ok(OP_KINDS.length >= 5);
});

test("every operator's kernels are declared in the contract and defined in its reference C file", () => {
  const contract = readFileSync(join(TEMPLATES_DIR, 'kernels', 'rig_kernels.h'), 'utf8');
  for (const kind of OP_KINDS) {
    const module = readFileSync(join(SOURCE, 'ops', `${kind}.ts`), 'utf8');
    const kernels = [...new Set([...module.matchAll(/\b(rig_\w+_s8\w*)\(/g)].map((m) => m[1]!))];
    assert.ok(kernels.length > 0, `rig/ops/${kind}.ts emits no kernel call`);
    const reference = readFileSync(join(TEMPLATES_DIR, 'kernels', 'reference', `${kind}.c`), 'utf8');
    for (const fn of kernels) {
      assert.match(contract, new RegExp(`\\b${fn}\\(`), `rig_kernels.h declares ${fn}`);
      assert.match(reference, new RegExp(`^void ${fn}\\(`, 'm'), `kernels/reference/${kind}.c defines ${fn}`);
    }
  }
});

test('no file outside rig/ops switches on an operator kind, but the lowering and the TFLite import that build ops', () => {
  const kinds = OP_KINDS.join('|');
  const dispatch = new RegExp(`(\\bkind\\s*(===|!==|:)\\s*|\\bcase\\s+)'(${kinds})'`);
  const found = sources(SOURCE)
    .filter((f) => !f.endsWith('.test.ts') && !f.includes(`${join(SOURCE, 'ops')}/`))
    .filter((f) => dispatch.test(readFileSync(f, 'utf8')))
    .map((f) => relative(ROOT, f));
  assert.deepEqual(found, ['rig/model/lower.ts', 'rig/model/tflite/import.ts']);
  // Inside rig/ops, a module names only its own kind.
  for (const kind of OP_KINDS) {
    const others = OP_KINDS.filter((k) => k !== kind).join('|');
    assert.doesNotMatch(readFileSync(join(SOURCE, 'ops', `${kind}.ts`), 'utf8'), new RegExp(`(\\bkind\\s*(===|!==|:)\\s*|\\bcase\\s+)'(${others})'`), kind);
  }
});

test("an op's own checks name the op and what was expected and found", () => {
  const model = lowerModel(parseModelSpec(TINY_CNN, 'tiny'), 1);
  assert.deepEqual(checkModel(model), []);
  const [conv, dw, pw, pool, fc] = model.ops as [Conv2dOp, DwConv2dOp, Conv2dOp, AvgPoolOp, FcOp];
  const broken: Model = {
    ...model,
    ops: [{ ...conv, weights: conv.weights.subarray(1) }, { ...dw, padTop: 3 }, pw, { ...pool, inputs: [pw.output, pw.output] }, { ...fc, outChannels: 11 }],
  };
  const problems = checkModel(broken);
  assert.ok(
    problems.some((p) => /^ops\[0\] \(b0_conv2d\): weights: expected 216 values, found 215$/.test(p)),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((p) => /^ops\[1\] \(b1_dwconv2d\): padding: expected less than the kernel \(3×3\), found 3, 1$/.test(p)),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((p) => /^ops\[3\] \(b3_avgpool\): inputs: expected 1 tensor, found 2$/.test(p)),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((p) => /^ops\[4\] \(b4_fc\): bias: expected 11 values \(one per output channel\), found 10$/.test(p)),
    problems.join('\n'),
  );
  // Fields that agree with each other but not with the output tensor.
  const wider = model.tensors.map((t) => (t.id === fc.output ? { ...t, shape: [1, 1, 12] as const } : t));
  assert.deepEqual(checkModel({ ...model, tensors: wider }), ['ops[4] (b4_fc): output shape: expected 1×1×10, found 1×1×12']);
  const unordered: Model = { ...model, ops: [model.ops[1]!, model.ops[0]!, ...model.ops.slice(2)] };
  assert.ok(checkModel(unordered).some((p) => /^ops\[0\] \(b1_dwconv2d\): reads tensor 1 before it is computed$/.test(p)));
});
