// Build stage: generated model + firmware templates → arm-none-eabi-gcc → ELF, map and sizes.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateModelC, generateModelH } from '../codegen/c.js';
import type { Board } from '../config/board.js';
import type { Plan } from '../schedule/plan.js';
import { runTool } from '../proc/run.js';
import { UserError } from '../util/errors.js';
import { TEMPLATES_DIR } from '../util/paths.js';
import { imageSizes, type ImageSizes } from './elf.js';

export const GCC = 'arm-none-eabi-gcc';
const GCC_HINT = 'install it with ./scripts/setup.sh, or: apt-get install --no-install-recommends gcc-arm-none-eabi libnewlib-arm-none-eabi';
const COMPILE_TIMEOUT_MS = 300_000;

/** Where the image is linked and which board-support file drives it. */
export interface BuildTarget {
  readonly runner: 'qemu' | 'hardware';
  /** Board-support source in firmware-templates/board/. */
  readonly support: string;
  readonly flashOrigin: number;
  readonly flashBytes: number;
  readonly ramOrigin: number;
  /** The real board's budget, also under emulation, so what does not fit the board does not link. */
  readonly ramBytes: number;
  readonly stackBytes: number;
  /** Preprocessor definitions the board support reads (family, clock source, UART). */
  readonly defines: readonly string[];
  /** The board variant a hardware image is built for (its clock source and UART differ). */
  readonly variant: string | null;
}

export function emulatedTarget(board: Board): BuildTarget {
  return {
    runner: 'qemu',
    support: `${board.emulation.support}.c`,
    flashOrigin: board.emulation.flashOrigin,
    flashBytes: board.flashBytes,
    ramOrigin: board.emulation.ramOrigin,
    ramBytes: board.sramBytes,
    stackBytes: board.stackBytes,
    defines: [],
    variant: null,
  };
}

/** The telemetry UART's speed on silicon (the ST-LINK virtual COM port). */
export const HARDWARE_BAUD = 115_200;

/** Silicon: linked at the real flash and SRAM, board support for the variant's clock and UART. */
export function hardwareTarget(board: Board, variantName: string): BuildTarget {
  const variant = board.variants[variantName];
  if (variant === undefined) {
    throw new UserError(`--variant ${variantName}: ${board.id} has variants ${Object.keys(board.variants).join(', ')} (${board.file})`, { exitCode: 2 });
  }
  return {
    runner: 'hardware',
    support: 'stm32.c',
    flashOrigin: board.memory.flash.origin,
    flashBytes: board.flashBytes,
    ramOrigin: board.memory.sram[0]!.origin,
    ramBytes: board.sramBytes,
    stackBytes: board.stackBytes,
    defines: [
      board.core === 'cortex-m7' ? '-DRIG_STM32F7' : '-DRIG_STM32F4',
      `-DRIG_HSE_HZ=${variant.hse.hz}`,
      `-DRIG_HSE_BYPASS=${variant.hse.bypass ? 1 : 0}`,
      `-DRIG_UART_${variant.uart.instance}`,
      `-DRIG_BAUD=${HARDWARE_BAUD}`,
    ],
    variant: variantName,
  };
}

export function cpuFlags(board: Board): string[] {
  return [`-mcpu=${board.core}`, '-mthumb', `-mfpu=${board.fpu}`, '-mfloat-abi=hard'];
}

export type BuildOutcome =
  | { ok: true; elfPath: string; mapPath: string; buildId: string; sizes: ImageSizes; kernelVariant: string }
  | { ok: false; reason: 'does-not-fit' | 'build-error'; detail: string };

async function templateSources(dir: string): Promise<string[]> {
  return (await readdir(join(TEMPLATES_DIR, dir))).filter((f) => f.endsWith('.c')).sort().map((f) => join(TEMPLATES_DIR, dir, f));
}

function hexAddr(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Reads "region `RAM' overflowed by 1234 bytes" lines from ld. */
export function regionOverflows(stderr: string): { region: string; bytes: number }[] {
  return [...stderr.matchAll(/region [`'"]?(\w+)'? overflowed by (\d+) bytes/g)].map((m) => ({ region: m[1]!, bytes: Number(m[2]) }));
}

export async function buildFirmware(
  plan: Plan,
  board: Board,
  target: BuildTarget,
  buildDir: string,
  { referenceCrc32, signal }: { referenceCrc32: string; signal?: AbortSignal | undefined },
): Promise<BuildOutcome> {
  await mkdir(buildDir, { recursive: true });
  const modelC = generateModelC(plan);
  const ldTemplate = await readFile(join(TEMPLATES_DIR, 'link', 'rig.ld.in'), 'utf8');
  const ld = ldTemplate
    .replaceAll('@FLASH_ORIGIN@', hexAddr(target.flashOrigin))
    .replaceAll('@FLASH_BYTES@', String(target.flashBytes))
    .replaceAll('@RAM_ORIGIN@', hexAddr(target.ramOrigin))
    .replaceAll('@RAM_BYTES@', String(target.ramBytes))
    .replaceAll('@STACK_BYTES@', String(target.stackBytes));

  const sources = [
    ...(await templateSources('startup')),
    ...(await templateSources('harness')),
    ...(await templateSources('kernels')),
    join(TEMPLATES_DIR, 'board', target.support),
  ];
  const flags = [
    ...cpuFlags(board),
    ...target.defines,
    '-O2',
    '-g',
    '-std=c11',
    '-Wall',
    '-Wextra',
    '-ffunction-sections',
    '-fdata-sections',
    '-nostartfiles',
    '--specs=nano.specs',
    '-Wl,--gc-sections',
  ];

  // The build id covers everything that goes into the image, so equal ids mean equal firmware.
  const hash = createHash('sha256').update(modelC).update(ld).update(flags.join(' ')).update(target.runner);
  for (const file of sources) hash.update(await readFile(file));
  for (const dir of ['harness', 'kernels', 'board']) {
    for (const f of (await readdir(join(TEMPLATES_DIR, dir))).filter((n) => n.endsWith('.h')).sort()) {
      hash.update(await readFile(join(TEMPLATES_DIR, dir, f)));
    }
  }
  const buildId = hash.digest('hex').slice(0, 8);
  const modelH = generateModelH(plan, { boardId: board.id, buildId, referenceCrc32 });

  const elfPath = join(buildDir, 'fw.elf');
  const mapPath = join(buildDir, 'fw.map');
  await Promise.all([
    writeFile(join(buildDir, 'model.c'), modelC),
    writeFile(join(buildDir, 'model.h'), modelH),
    writeFile(join(buildDir, 'rig.ld'), ld),
  ]);
  const args = [
    ...flags,
    `-I${buildDir}`,
    ...['harness', 'kernels', 'board'].map((d) => `-I${join(TEMPLATES_DIR, d)}`),
    `-Wl,-Map=${mapPath}`,
    '-T',
    join(buildDir, 'rig.ld'),
    '-o',
    elfPath,
    ...sources,
    join(buildDir, 'model.c'),
  ];
  const r = await runTool(GCC, args, { timeoutMs: COMPILE_TIMEOUT_MS, signal, installHint: GCC_HINT });
  await writeFile(join(buildDir, 'build.log'), `$ ${r.command}\n${r.stdout}${r.stderr}`);
  if (r.canceled) throw signal?.reason ?? new Error('build canceled');
  if (r.timedOut) return { ok: false, reason: 'build-error', detail: `${GCC} timed out after ${COMPILE_TIMEOUT_MS} ms (log: ${join(buildDir, 'build.log')})` };
  if (r.exitCode !== 0) {
    const overflows = regionOverflows(r.stderr);
    if (overflows.length > 0) {
      const what = overflows.map((o) => `${o.region} overflowed by ${o.bytes} bytes`).join(', ');
      return {
        ok: false,
        reason: 'does-not-fit',
        detail: `${what} (${board.id}: ${target.ramBytes} B SRAM, ${target.flashBytes} B flash)`,
      };
    }
    return { ok: false, reason: 'build-error', detail: `${GCC} failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-8).join('\n')}` };
  }
  const sizes = imageSizes(new Uint8Array(await readFile(elfPath)), { origin: target.ramOrigin, sizeBytes: target.ramBytes });
  const kernelsH = await readFile(join(TEMPLATES_DIR, 'kernels', 'rig_kernels.h'), 'utf8');
  const kernelVariant = /#define RIG_KERNEL_VARIANT "([^"]+)"/.exec(kernelsH)?.[1] ?? 'unknown';
  return { ok: true, elfPath, mapPath, buildId, sizes, kernelVariant };
}
