// Kernel variants: the folders of firmware-templates/kernels/ beside common/, each implementing
// every kernel of rig_kernels.h (tflite-micro's kernels/ and kernels/cmsis_nn/). The variant is a
// build input, named on every result row; an unknown one is refused, never replaced.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { TEMPLATES_DIR } from '../util/paths.js';

export const DEFAULT_KERNELS = 'reference';

/** Compiled with every variant: rig_requantize, rig_copy_s8 and the shared inline helpers. */
export const COMMON_KERNELS = 'common';

/**
 * Each kernel a variant must define, and the operator file it belongs in (named after the
 * operator kinds of rig/model/ir.ts).
 */
export const KERNEL_FILES: Readonly<Record<string, string>> = {
  rig_conv2d_s8: 'conv2d.c',
  rig_dwconv2d_s8: 'dwconv2d.c',
  rig_dwconv2d_s8_inplace: 'dwconv2d.c',
  rig_add_s8: 'add.c',
  rig_avgpool_global_s8: 'avgpool.c',
  rig_fc_s8: 'fc.c',
};

/** The variants under a templates root, sorted. */
export function kernelVariants(templatesDir: string = TEMPLATES_DIR): string[] {
  return readdirSync(join(templatesDir, 'kernels'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== COMMON_KERNELS)
    .map((e) => e.name)
    .sort();
}

/** Returns `name` when it is a variant; otherwise a UserError (exit 2) that lists the variants. */
export function checkKernels(name: string, templatesDir: string = TEMPLATES_DIR): string {
  const variants = kernelVariants(templatesDir);
  if (variants.includes(name)) return name;
  throw new UserError(`unknown kernel variant ${JSON.stringify(name)}: the variants are ${variants.join(', ')} (the folders of ${join(templatesDir, 'kernels')} but ${COMMON_KERNELS})`, { exitCode: 2 });
}

/** Reads the kernels the linker found no definition for ("undefined reference to `rig_fc_s8'"). */
export function missingKernels(stderr: string): string[] {
  const names = [...stderr.matchAll(/undefined reference to [`'"]?(\w+)['"]?/g)].map((m) => m[1]!);
  return [...new Set(names)].filter((n) => KERNEL_FILES[n] !== undefined).sort();
}

/** Why a variant did not link, in plain words: which kernels it lacks and where they belong. */
export function missingKernelsDetail(variant: string, missing: readonly string[], templatesDir: string = TEMPLATES_DIR): string {
  const where = missing.map((n) => `${n} (${join(templatesDir, 'kernels', variant, KERNEL_FILES[n]!)})`).join(', ');
  return `the kernel variant ${variant} lacks ${missing.length === 1 ? 'a kernel' : `${missing.length} kernels`} the model calls: ${where}; a variant defines every kernel of rig_kernels.h, none is taken from another variant`;
}
