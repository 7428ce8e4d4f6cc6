// Kernel variants: the folders of firmware-templates/kernels/ beside common/, each implementing
// every kernel of rig_kernels.h (tflite-micro's kernels/ and kernels/cmsis_nn/). The variant is a
// build input, named on every result row; an unknown one is refused, never replaced.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { TEMPLATES_DIR } from '../util/paths.js';

/** The reference kernels: written for clarity, bit-exact with the TypeScript reference; every other variant is measured against them. */
export const REFERENCE_KERNELS = 'reference';

/** What images are built with unless told otherwise: the kernels for the DSP extension of the Cortex-M4 and M7. */
export const DEFAULT_KERNELS = 'dsp';

/** Compiled with every variant: rig_requantize, rig_copy_s8 and the shared inline helpers. */
export const COMMON_KERNELS = 'common';

/**
 * The kernels every variant defines: those rig_kernels.h declares and common/ does not, each with
 * its file in reference/ (one per operator kind), where it belongs in any variant.
 */
export function variantKernels(templatesDir: string = TEMPLATES_DIR): Map<string, string> {
  const dir = join(templatesDir, 'kernels');
  const cFiles = (sub: string) =>
    readdirSync(join(dir, sub))
      .filter((f) => f.endsWith('.c'))
      .sort();
  const defined = (sub: string, file: string) =>
    [...readFileSync(join(dir, sub, file), 'utf8').matchAll(/^(?:__attribute__\(\([^)]*\)\) )?\w+ (rig_\w+)\(/gm)].map((m) => m[1]!);
  const common = new Set(cFiles(COMMON_KERNELS).flatMap((f) => defined(COMMON_KERNELS, f)));
  const home = new Map(cFiles(REFERENCE_KERNELS).flatMap((f) => defined(REFERENCE_KERNELS, f).map((name) => [name, f] as const)));
  const declared = [...readFileSync(join(dir, 'rig_kernels.h'), 'utf8').matchAll(/^\w+ (rig_\w+)\(/gm)].map((m) => m[1]!);
  return new Map(declared.filter((n) => !common.has(n)).map((n) => [n, home.get(n) ?? '?'] as const));
}

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
  throw new UserError(
    `unknown kernel variant ${JSON.stringify(name)}: the variants are ${variants.join(', ')} (the folders of ${join(templatesDir, 'kernels')} but ${COMMON_KERNELS})`,
    { exitCode: 2 },
  );
}

/** Reads the kernels the linker found no definition for ("undefined reference to `rig_fc_s8'"). */
export function missingKernels(stderr: string, kernels: ReadonlyMap<string, string>): string[] {
  const names = [...stderr.matchAll(/undefined reference to [`'"]?(\w+)['"]?/g)].map((m) => m[1]!);
  return [...new Set(names)].filter((n) => kernels.has(n)).sort();
}

/** Why a variant did not link, in plain words: which kernels it lacks and where they belong. */
export function missingKernelsDetail(
  variant: string,
  missing: readonly string[],
  kernels: ReadonlyMap<string, string>,
  templatesDir: string = TEMPLATES_DIR,
): string {
  const where = missing.map((n) => `${n} (${join(templatesDir, 'kernels', variant, kernels.get(n)!)})`).join(', ');
  return `the kernel variant ${variant} lacks ${missing.length === 1 ? 'a kernel' : `${missing.length} kernels`} the model calls: ${where}; a variant defines every kernel of rig_kernels.h, none is taken from another variant`;
}
