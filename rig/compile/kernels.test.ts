import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { planFor } from '../bench/bench.js';
import { loadBoard } from '../config/board.js';
import { loadModel } from '../config/model.js';
import { UserError } from '../util/errors.js';
import { TEMPLATES_DIR } from '../util/paths.js';
import { buildFirmware, emulatedTarget } from './firmware.js';
import { OP_KINDS } from '../ops/registry.js';
import { checkKernels, DEFAULT_KERNELS, kernelVariants, missingKernels, missingKernelsDetail, variantKernels } from './kernels.js';

const kernelsDir = join(TEMPLATES_DIR, 'kernels');

test('the variants are the folders of firmware-templates/kernels/ but common; the default is one', () => {
  const variants = kernelVariants();
  assert.ok(variants.includes(DEFAULT_KERNELS));
  assert.ok(!variants.includes('common'));
  const root = mkdtempSync(join(tmpdir(), 'rig-variants-'));
  for (const d of ['common', 'reference', 'fast']) mkdirSync(join(root, 'kernels', d), { recursive: true });
  assert.deepEqual(kernelVariants(root), ['fast', 'reference']);
  assert.equal(checkKernels('fast', root), 'fast');
});

test('an unknown variant is refused with exit code 2, naming it and the variants there are', async () => {
  const refused = (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.equal(e.exitCode, 2);
    const listed = kernelVariants().join(', ');
    assert.ok(listed.split(', ').includes('reference'));
    assert.match(
      e.message,
      new RegExp(`^unknown kernel variant "cmsis-nn": the variants are ${listed} \\(the folders of \\S+/firmware-templates/kernels but common\\)$`),
    );
    return true;
  };
  assert.throws(() => checkKernels('cmsis-nn'), refused);
  assert.throws(() => checkKernels('common'), /unknown kernel variant "common"/);
  // buildFirmware refuses it before compiling anything.
  const board = await loadBoard('f746');
  const plan = planFor({ model: await loadModel('tiny-cnn', 1), schedule: 'layer' });
  const buildDir = join(mkdtempSync(join(tmpdir(), 'rig-variants-')), 'build');
  await assert.rejects(
    buildFirmware(plan, board, emulatedTarget(board), buildDir, { referenceCrc32: '00000000', kernels: 'cmsis-nn', cacheDir: join(buildDir, 'cache') }),
    refused,
  );
  assert.throws(() => readdirSync(buildDir), /ENOENT/);
});

test("the linker's undefined references name the missing kernels; other symbols are not kernels", () => {
  const stderr = [
    "/usr/lib/gcc/arm-none-eabi/12.2.1/../../../arm-none-eabi/bin/ld: /tmp/ccq1.o: in function `rig_model_invoke':",
    "/build/model.c:40:(.text.rig_model_invoke+0x1a): undefined reference to `rig_fc_s8'",
    "/build/model.c:12:(.text.rig_model_invoke+0x0c): undefined reference to `rig_add_s8'",
    "/build/model.c:44:(.text.rig_model_invoke+0x2a): undefined reference to `rig_fc_s8'",
    "/build/x.c:3:(.text.f+0x2): undefined reference to `memcpy'",
    'collect2: error: ld returned 1 exit status',
  ].join('\n');
  const kernels = variantKernels();
  assert.deepEqual(missingKernels(stderr, kernels), ['rig_add_s8', 'rig_fc_s8']);
  assert.deepEqual(missingKernels("region `RAM' overflowed by 12 bytes", kernels), []);
  assert.equal(
    missingKernelsDetail('fast', ['rig_fc_s8'], kernels, '/t'),
    'the kernel variant fast lacks a kernel the model calls: rig_fc_s8 (/t/kernels/fast/fc.c); a variant defines every kernel of rig_kernels.h, none is taken from another variant',
  );
  assert.match(
    missingKernelsDetail('fast', ['rig_add_s8', 'rig_fc_s8'], kernels, '/t'),
    /^the kernel variant fast lacks 2 kernels the model calls: rig_add_s8 \(\/t\/kernels\/fast\/add\.c\), rig_fc_s8 /,
  );
});

test('every kernel of rig_kernels.h is in common/ or in the file of reference/ named after its operator kind', () => {
  const kernels = variantKernels();
  assert.deepEqual([...kernels].sort(), [
    ['rig_add_s8', 'add.c'],
    ['rig_avgpool2d_s8', 'avgpool2d.c'],
    ['rig_avgpool_global_s8', 'avgpool.c'],
    ['rig_context_s8', 'context.c'],
    ['rig_conv2d_s8', 'conv2d.c'],
    ['rig_dwconv2d_s8', 'dwconv2d.c'],
    ['rig_dwconv2d_s8_inplace', 'dwconv2d.c'],
    ['rig_embed_s8', 'embed.c'],
    ['rig_fc_s8', 'fc.c'],
    ['rig_layernorm_s8', 'layernorm.c'],
    ['rig_linear_s8', 'linear.c'],
    ['rig_lut_s8', 'gelu.c'],
    ['rig_mean_s8', 'mean.c'],
    ['rig_scores_s8', 'scores.c'],
    ['rig_softmax_s8', 'softmax.c'],
    ['rig_token_s8', 'token.c'],
  ]);
  // One file per operator kind, nothing else.
  assert.deepEqual(readdirSync(join(kernelsDir, 'reference')).sort(), OP_KINDS.map((k) => `${k}.c`).sort());
});
