// Build stage: generated model + firmware templates → arm-none-eabi-gcc → ELF, map and sizes.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateModelC, generateModelH } from '../codegen/c.js';
import type { Board, SramRange } from '../config/board.js';
import type { Plan } from '../schedule/plan.js';
import { failureMessage, runTool } from '../proc/run.js';
import { UserError } from '../util/errors.js';
import { TEMPLATES_DIR } from '../util/paths.js';
import { imageSizes, type ImageSizes } from './elf.js';
import { checkKernels, COMMON_KERNELS, missingKernels, missingKernelsDetail } from './kernels.js';

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
  /** The RAM that holds .data, .bss and the stack at its top; the arena too, unless `arenaRegion` is set. */
  readonly ramOrigin: number;
  /** The real board's budget, also under emulation, so what does not fit the board does not link. */
  readonly ramBytes: number;
  readonly stackBytes: number;
  /** Silicon: the arena-RAM choice (`--arena-ram`); null under emulation, where everything shares one RAM. */
  readonly arenaRam: string | null;
  /** The arena's own RAM when it does not share `ram` (the F746's DTCM, or SRAM1+SRAM2). */
  readonly arenaRegion: SramRange | null;
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
    arenaRam: null,
    arenaRegion: null,
    defines: [],
    variant: null,
  };
}

/** The telemetry UART's speed on silicon (the ST-LINK virtual COM port). */
export const HARDWARE_BAUD = 115_200;

/** "all (DTCM+SRAM1+SRAM2, 320 KB), dtcm (DTCM, 64 KB)": a board's arena-RAM choices, for messages. */
export function describeArenaRams(board: Board): string {
  return Object.values(board.arenaRams)
    .map((a) => `${a.choice} (${a.name}, ${a.sizeBytes / 1024} KB)`)
    .join(', ');
}

/**
 * Silicon: linked at the real flash and SRAM, board support for the variant's clock and UART, the
 * arena in the chosen SRAM (`arenaRam`, one of the board file's memory.arenaRam.choices).
 */
export function hardwareTarget(board: Board, variantName: string, arenaRamChoice: string): BuildTarget {
  const variant = board.variants[variantName];
  if (variant === undefined) {
    throw new UserError(`--variant ${variantName}: ${board.id} has variants ${Object.keys(board.variants).join(', ')} (${board.file})`, { exitCode: 2 });
  }
  const arena = board.arenaRams[arenaRamChoice];
  if (arena === undefined) {
    throw new UserError(`--arena-ram ${arenaRamChoice}: ${board.id} can hold the arena in ${describeArenaRams(board)} (${board.file}, memory.arenaRam)`, { exitCode: 2 });
  }
  // The rest of the SRAM holds .data, .bss and the stack; with no rest, the arena shares all of it.
  const ram = arena.rest ?? arena;
  return {
    runner: 'hardware',
    support: 'stm32.c',
    flashOrigin: board.memory.flash.origin,
    flashBytes: board.flashBytes,
    ramOrigin: ram.origin,
    ramBytes: ram.sizeBytes,
    stackBytes: board.stackBytes,
    arenaRam: arena.choice,
    arenaRegion: arena.rest === null ? null : { name: arena.name, origin: arena.origin, sizeBytes: arena.sizeBytes },
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

/** Why --arena-ram is refused under emulation. */
export function arenaRamUnderEmulation(board: Board): string {
  return `--arena-ram chooses which SRAM of a physical board holds the arena; it does not go with --emulate (the emulated ${board.id} links everything into one RAM of ${board.sramBytes / 1024} KB)`;
}

/** The most arena a target can hold: its own RAM, or the shared RAM less the stack. */
export function arenaBudgetBytes(target: BuildTarget): number {
  return target.arenaRegion?.sizeBytes ?? target.ramBytes - target.stackBytes;
}

export function cpuFlags(board: Board): string[] {
  return [`-mcpu=${board.core}`, '-mthumb', `-mfpu=${board.fpu}`, '-mfloat-abi=hard'];
}

export type BuildOutcome =
  | { ok: true; elfPath: string; mapPath: string; buildId: string; sizes: ImageSizes; kernelVariant: string }
  | { ok: false; reason: 'does-not-fit' | 'build-error'; detail: string };

async function templateSources(root: string, dir: string): Promise<string[]> {
  return (await readdir(join(root, dir))).filter((f) => f.endsWith('.c')).sort().map((f) => join(root, dir, f));
}

function hexAddr(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Reads "region `RAM' overflowed by 1234 bytes" lines from ld. */
export function regionOverflows(stderr: string): { region: string; bytes: number }[] {
  return [...stderr.matchAll(/region [`'"]?(\w+)'? overflowed by (\d+) bytes/g)].map((m) => ({ region: m[1]!, bytes: Number(m[2]) }));
}

export function linkerScript(template: string, target: BuildTarget): string {
  const arena = target.arenaRegion;
  return template
    .replaceAll('@FLASH_ORIGIN@', hexAddr(target.flashOrigin))
    .replaceAll('@FLASH_BYTES@', String(target.flashBytes))
    .replaceAll('@RAM_ORIGIN@', hexAddr(target.ramOrigin))
    .replaceAll('@RAM_BYTES@', String(target.ramBytes))
    .replaceAll('@STACK_BYTES@', String(target.stackBytes))
    .replaceAll('@ARENA_MEMORY@', arena === null ? '' : `    ARENA (rw)  : ORIGIN = ${hexAddr(arena.origin)}, LENGTH = ${arena.sizeBytes}`)
    .replaceAll('@ARENA_REGION@', arena === null ? 'RAM' : 'ARENA');
}

/** The SRAM budget in words, for a does-not-fit message. */
function ramBudget(target: BuildTarget): string {
  const arena = target.arenaRegion;
  if (arena === null) return `${target.ramBytes} B SRAM`;
  return `arena RAM ${target.arenaRam} (${arena.name}) ${arena.sizeBytes} B, RAM for data and stack ${target.ramBytes} B`;
}

/** What one image is made of, beside the startup code, the board support and the linker script. */
interface ImageParts {
  /** Template directories whose every .c file is compiled, and whose .h files are on the include path. */
  templateDirs: readonly string[];
  /** Single template sources, relative to firmware-templates/. */
  templateFiles: readonly string[];
  /** The kernel variant compiled in (kernels/common/ and kernels/<variant>/), or null for none. */
  kernels: string | null;
  /** Sources written into the build directory before compiling. */
  generated: Readonly<Record<string, string>>;
  /** The header that carries the build id, written once the id is known. */
  header(buildId: string): { name: string; text: string };
}

export type CompiledImage = { ok: true; elfPath: string; mapPath: string; buildId: string; sizes: ImageSizes } | Extract<BuildOutcome, { ok: false }>;

async function compileImage(board: Board, target: BuildTarget, buildDir: string, parts: ImageParts, signal: AbortSignal | undefined, root: string): Promise<CompiledImage> {
  await mkdir(buildDir, { recursive: true });
  const ld = linkerScript(await readFile(join(root, 'link', 'rig.ld.in'), 'utf8'), target);
  const kernelDirs = parts.kernels === null ? [] : [join('kernels', COMMON_KERNELS), join('kernels', parts.kernels)];
  const compiledDirs = [...parts.templateDirs, ...kernelDirs];
  const includeDirs = [...new Set([...compiledDirs, ...(parts.kernels === null ? [] : ['kernels']), 'harness', 'board'])];
  const sources = [
    ...(await templateSources(root, 'startup')),
    ...(await Promise.all(compiledDirs.map((d) => templateSources(root, d)))).flat(),
    ...parts.templateFiles.map((f) => join(root, f)),
    join(root, 'board', target.support),
  ];
  const flags = [
    ...cpuFlags(board),
    ...target.defines,
    ...(parts.kernels === null ? [] : [`-DRIG_KERNEL_VARIANT="${parts.kernels}"`]),
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

  // The build id covers everything that goes into the image, so equal ids mean equal firmware
  // (the kernel variant through its -D flag and its sources).
  const hash = createHash('sha256').update(ld).update(flags.join(' ')).update(target.runner).update(target.arenaRam ?? '').update(board.id);
  for (const [name, text] of Object.entries(parts.generated)) hash.update(name).update(text);
  for (const file of sources) hash.update(await readFile(file));
  for (const dir of includeDirs) {
    for (const f of (await readdir(join(root, dir))).filter((n) => n.endsWith('.h')).sort()) {
      hash.update(await readFile(join(root, dir, f)));
    }
  }
  const buildId = hash.digest('hex').slice(0, 8);
  const header = parts.header(buildId);

  const elfPath = join(buildDir, 'fw.elf');
  const mapPath = join(buildDir, 'fw.map');
  await Promise.all([
    ...Object.entries(parts.generated).map(([name, text]) => writeFile(join(buildDir, name), text)),
    writeFile(join(buildDir, header.name), header.text),
    writeFile(join(buildDir, 'rig.ld'), ld),
  ]);
  const args = [
    ...flags,
    `-I${buildDir}`,
    ...includeDirs.map((d) => `-I${join(root, d)}`),
    `-Wl,-Map=${mapPath}`,
    '-T',
    join(buildDir, 'rig.ld'),
    '-o',
    elfPath,
    ...sources,
    ...Object.keys(parts.generated).filter((n) => n.endsWith('.c')).map((n) => join(buildDir, n)),
  ];
  const r = await runTool(GCC, args, { timeoutMs: COMPILE_TIMEOUT_MS, signal, installHint: GCC_HINT });
  const logPath = join(buildDir, 'build.log');
  await writeFile(logPath, `$ ${r.command}\n${r.stdout}${r.stderr}`);
  if (r.canceled) throw signal?.reason ?? new Error('build canceled');
  if (r.timedOut || r.exitCode !== 0) {
    const overflows = r.timedOut ? [] : regionOverflows(r.stderr);
    if (overflows.length > 0) {
      const what = overflows.map((o) => `${o.region} overflowed by ${o.bytes} bytes`).join(', ');
      return { ok: false, reason: 'does-not-fit', detail: `${what} (${board.id}: ${ramBudget(target)}, ${target.flashBytes} B flash)` };
    }
    // A variant without a kernel the model calls: said in plain words, never filled in from another.
    const missing = r.timedOut ? [] : missingKernels(r.stderr);
    if (missing.length > 0 && parts.kernels !== null) return { ok: false, reason: 'build-error', detail: `${missingKernelsDetail(parts.kernels, missing, root)} (log: ${logPath})` };
    return { ok: false, reason: 'build-error', detail: `${failureMessage(r)}\n(log: ${logPath})` };
  }
  const ram = [{ origin: target.ramOrigin, sizeBytes: target.ramBytes }, ...(target.arenaRegion === null ? [] : [target.arenaRegion])];
  const sizes = imageSizes(new Uint8Array(await readFile(elfPath)), ram);
  return { ok: true, elfPath, mapPath, buildId, sizes };
}

export interface BuildOptions {
  referenceCrc32: string;
  /** The kernel variant to compile (a folder of firmware-templates/kernels/; see kernels.ts). */
  kernels: string;
  signal?: AbortSignal | undefined;
  /** The firmware templates to build from; tests give a modified copy. */
  templatesDir?: string | undefined;
}

/** Throws a UserError for an unknown kernel variant; every other failure is the outcome's value. */
export async function buildFirmware(plan: Plan, board: Board, target: BuildTarget, buildDir: string, options: BuildOptions): Promise<BuildOutcome> {
  const root = options.templatesDir ?? TEMPLATES_DIR;
  const kernels = checkKernels(options.kernels, root);
  const built = await compileImage(
    board,
    target,
    buildDir,
    {
      templateDirs: ['harness'],
      templateFiles: [],
      kernels,
      generated: { 'model.c': generateModelC(plan) },
      header: (buildId) => ({ name: 'model.h', text: generateModelH(plan, { boardId: board.id, buildId, referenceCrc32: options.referenceCrc32 }) }),
    },
    options.signal,
    root,
  );
  if (!built.ok) return built;
  return { ...built, kernelVariant: kernels };
}

/** What the selftest image says in its hello for model and schedule (PROTOCOL.md, "Selftest"). */
export const SELFTEST_NAME = 'selftest';

/**
 * The selftest image (firmware-templates/selftest/): the same startup, board support and protocol
 * writer as a benchmark image, with a main that answers pings and clock marks instead of running
 * a model.
 */
export async function buildSelftest(board: Board, target: BuildTarget, buildDir: string, signal?: AbortSignal): Promise<CompiledImage> {
  return compileImage(
    board,
    target,
    buildDir,
    {
      templateDirs: ['selftest'],
      templateFiles: ['harness/rig_proto.c', 'harness/rig_crc32.c'],
      kernels: null,
      generated: {},
      header: (buildId) => ({
        name: 'selftest.h',
        text: [
          `/* Generated by rig for the selftest image of ${board.id} (${target.variant ?? target.runner}). Do not edit. */`,
          '#ifndef RIG_SELFTEST_H',
          '#define RIG_SELFTEST_H',
          `#define RIG_BOARD_ID ${JSON.stringify(board.id)}`,
          `#define RIG_BUILD_ID ${JSON.stringify(buildId)}`,
          '#endif',
          '',
        ].join('\n'),
      }),
    },
    signal,
    TEMPLATES_DIR,
  );
}
