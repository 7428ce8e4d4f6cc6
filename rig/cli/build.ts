// rig build: plan, generate and compile one model for a board, without running it.
import type { Argv } from 'yargs';
import { buildImage, type BuildRequest } from '../bench/build.js';
import { DEFAULTS } from '../defaults.js';
import { DEFAULT_TOKEN_ROWS } from '../schedule/mcuformer.js';
import { SCHEDULES } from '../schedule/plan.js';
import { formatInt } from '../util/format.js';
import { INPUT_OPTION, KERNELS_OPTION } from './options.js';

export function buildOptions<T>(y: Argv<T>) {
  return y
    .option('board', { type: 'string', default: DEFAULTS.board, describe: 'board id (boards/<id>.json) or board file' })
    .option('variant', { type: 'string', describe: "the board variant (nucleo, disco; default: the board file's)" })
    .option('emulate', { type: 'boolean', describe: 'build the image for the emulated board instead' })
    .option('arena-ram', { type: 'string', describe: "silicon: the SRAM that holds the arena (f746: all, dtcm, sram1; default: the board file's)" })
    .option('model', {
      type: 'string',
      default: DEFAULTS.model,
      describe: 'built-in model name, path to a model spec (.json) or an int8 TFLite file (.tflite)',
    })
    .option('schedule', { choices: SCHEDULES, default: DEFAULTS.schedule })
    .option('patches', { type: 'number', describe: 'patch, stream1d, stream2d: a P×P grid over the stage output (default 2)' })
    .option('split', { type: 'number', describe: 'patch, stream1d, stream2d: the stage is the first N blocks' })
    .option('rows', { type: 'number', describe: `mcuformer: token rows per block of an integrated chain (default ${DEFAULT_TOKEN_ROWS})` })
    .option('kernels', KERNELS_OPTION)
    .option('seed', { type: 'number', default: DEFAULTS.seed })
    .option('input', INPUT_OPTION)
    .option('build-dir', { type: 'string', default: DEFAULTS.buildDir, describe: 'where generated sources, ELF and map files go' })
    .option('json', { type: 'boolean', default: false });
}

/** The request of `buildImage`, as yargs gives it. */
export interface BuildArgs extends Omit<BuildRequest, 'emulate'> {
  emulate?: boolean | undefined;
  json: boolean;
}

export async function buildCommand(args: BuildArgs): Promise<number> {
  const built = await buildImage({
    board: args.board,
    variant: args.variant,
    emulate: args.emulate === true,
    arenaRam: args.arenaRam,
    model: args.model,
    schedule: args.schedule,
    patches: args.patches,
    split: args.split,
    rows: args.rows,
    seed: args.seed,
    input: args.input,
    kernels: args.kernels,
    buildDir: args.buildDir,
  });
  if (!built.ok) {
    process.stderr.write(`rig: ${built.message}\n`);
    return 1;
  }
  const { report, target } = built;
  if (args.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return 0;
  }
  const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
  const sram = report.staticRamBytes + report.arenaBytes + report.stackReserveBytes;
  const region = report.arenaRegion;
  const at = (origin: number) => `0x${origin.toString(16).padStart(8, '0')}`;
  const sramLines =
    target.arenaRegion === null
      ? [
          `SRAM   ${formatInt(sram)} B of ${formatInt(report.sramBudgetBytes)} B (${pct(sram, report.sramBudgetBytes)}): arena ${formatInt(report.arenaBytes)} B + stack ${formatInt(report.stackReserveBytes)} B + .data/.bss ${formatInt(report.staticRamBytes)} B${report.arenaRam === null ? '' : ` in ${region.name} at ${at(region.origin)} (--arena-ram ${report.arenaRam})`}`,
        ]
      : [
          `arena  ${formatInt(report.arenaBytes)} B of ${formatInt(region.sizeBytes)} B (${pct(report.arenaBytes, region.sizeBytes)}) in ${region.name} at ${at(region.origin)} (--arena-ram ${report.arenaRam})`,
          `RAM    ${formatInt(report.stackReserveBytes + report.staticRamBytes)} B of ${formatInt(target.ramBytes)} B (${pct(report.stackReserveBytes + report.staticRamBytes, target.ramBytes)}) at ${at(target.ramOrigin)}: stack ${formatInt(report.stackReserveBytes)} B at its top + .data/.bss ${formatInt(report.staticRamBytes)} B`,
        ];
  process.stdout.write(
    [
      `${built.label} for ${built.where}: firmware ${report.buildId}, kernels ${report.kernelVariant}`,
      `ELF    ${report.elf}`,
      `map    ${report.map}`,
      `flash  ${formatInt(report.flashBytes)} B of ${formatInt(report.flashBudgetBytes)} B (${pct(report.flashBytes, report.flashBudgetBytes)}): code, weights, input, .data`,
      ...(report.externalFlash === null || report.externalFlash.bytes === 0
        ? []
        : [
            `ext.   ${formatInt(report.externalFlash.bytes)} B of ${formatInt(report.externalFlash.budgetBytes)} B (${pct(report.externalFlash.bytes, report.externalFlash.budgetBytes)}) of ${report.externalFlash.name} flash: the weights the internal flash does not hold`,
          ]),
      ...sramLines,
      '',
    ].join('\n'),
  );
  return 0;
}
