// Kernel variants through the real compiler and QEMU: a variant is what gets compiled and named on
// the row, and a variant without a kernel the model calls fails its build, never borrowing one.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchCase, planFor } from '../bench/bench.js';
import { emulatedContext } from '../bench/testing.js';
import { loadModel } from '../config/model.js';
import { Store } from '../store/db.js';
import { TEMPLATES_DIR } from '../util/paths.js';
import { REFERENCE_KERNELS } from './kernels.js';

const dir = mkdtempSync(join(tmpdir(), 'rig-kernels-'));
// A copy of the templates with two more variants: `mirror`, the reference kernels under another
// name, and `partial`, the reference kernels without fc.c and add.c.
const templates = join(dir, 'templates');
cpSync(TEMPLATES_DIR, templates, { recursive: true });
cpSync(join(templates, 'kernels', 'reference'), join(templates, 'kernels', 'mirror'), { recursive: true });
cpSync(join(templates, 'kernels', 'reference'), join(templates, 'kernels', 'partial'), { recursive: true });
rmSync(join(templates, 'kernels', 'partial', 'fc.c'));
rmSync(join(templates, 'kernels', 'partial', 'add.c'));

const context = (kernels: string) => emulatedContext(kernels, dir, { templatesDir: templates });

test('the variant compiled is the one named on the row and in the store, built apart from the others', async () => {
  const plan = planFor({ model: await loadModel('tiny-cnn', 1), schedule: 'layer' });
  const reference = await benchCase(await context(REFERENCE_KERNELS), plan);
  const mirror = await benchCase(await context('mirror'), plan);
  assert.equal(reference.status, 'ok', reference.detail ?? '');
  assert.equal(mirror.status, 'ok', mirror.detail ?? '');
  assert.equal(reference.kernelVariant, 'reference');
  assert.equal(mirror.kernelVariant, 'mirror');
  // The same code under another name: the same instructions, another firmware id.
  assert.deepEqual(mirror.latency, reference.latency);
  assert.notEqual(mirror.firmwareId, reference.firmwareId);
  const log = readFileSync(join(dir, 'build', 'f746-qemu', 'mirror', 'tiny-cnn-layer', 'build.log'), 'utf8');
  assert.match(log, /'-DRIG_KERNEL_VARIANT="mirror"'/);
  const unit = readFileSync(join(dir, 'build', 'f746-qemu', 'mirror', 'tiny-cnn-layer', 'rig_kernels_unit.c'), 'utf8');
  assert.match(unit, /^#include "mirror\/conv2d\.c"$/m);
  assert.match(unit, /^#include "common\/requantize\.c"$/m);
  assert.doesNotMatch(unit + log, /reference\//);

  const store = new Store(join(dir, 'rig.db'));
  try {
    const runId = store.startRun({
      startedAt: new Date().toISOString(),
      gitRevision: null,
      host: 'test',
      toolchain: {},
      board: 'f746',
      runner: 'qemu',
      args: {},
    });
    store.addResult({ runId, ...mirror });
    assert.equal(store.results(runId)[0]!.kernelVariant, 'mirror');
  } finally {
    store.close();
  }
});

test('a variant without a kernel the model calls fails its build, naming the kernel', async () => {
  const plan = planFor({ model: await loadModel('tiny-cnn', 1), schedule: 'layer' });
  const row = await benchCase(await context('partial'), plan);
  assert.equal(row.status, 'build-error');
  assert.equal(row.latency, null);
  // tiny-cnn has no residual add: only the classifier's kernel is named.
  assert.match(row.detail ?? '', /^tiny-cnn: the kernel variant partial lacks a kernel the model calls: rig_fc_s8 \(\S*\/kernels\/partial\/fc\.c\);/);
  assert.doesNotMatch(row.detail ?? '', /rig_add_s8/);
});
