// rig build: plan, generate and compile one model for a board, without running it.
import { buildDirFor, planFor } from '../bench/bench.js';
import { arenaRamUnderEmulation, buildFirmware, emulatedTarget, hardwareTarget } from '../compile/firmware.js';
import { DEFAULT_KERNELS } from '../compile/kernels.js';
import { loadBoard } from '../config/board.js';
import { loadModel } from '../config/model.js';
import { referenceOutput } from '../model/reference.js';
import { scheduleLabel, type ScheduleName } from '../schedule/plan.js';
import { crc32, hex32 } from '../util/crc32.js';
import { UserError } from '../util/errors.js';
import { DEFAULT_BOARD } from './bench.js';
import { formatInt } from './table.js';

export interface BuildArgs {
  board?: string | undefined;
  variant?: string | undefined;
  emulate?: boolean | undefined;
  arenaRam?: string | undefined;
  model: string;
  schedule: ScheduleName;
  patches?: number | undefined;
  split?: number | undefined;
  seed: number;
  buildDir: string;
  json: boolean;
}

export async function buildCommand(args: BuildArgs): Promise<number> {
  const board = await loadBoard(args.board ?? DEFAULT_BOARD);
  if (args.emulate === true && args.variant !== undefined) throw new UserError('--variant chooses a physical board; it does not go with --emulate', { exitCode: 2 });
  if (args.emulate === true && args.arenaRam !== undefined) throw new UserError(arenaRamUnderEmulation(board), { exitCode: 2 });
  const target = args.emulate === true ? emulatedTarget(board) : hardwareTarget(board, args.variant ?? board.defaultVariant, args.arenaRam ?? board.defaultArenaRam);
  const model = await loadModel(args.model, args.seed);
  const plan = planFor({ model, schedule: args.schedule, patches: args.patches, split: args.split });
  const schedule = scheduleLabel(plan.schedule, plan.options);
  const buildDir = buildDirFor(args.buildDir, board, target, DEFAULT_KERNELS, plan);
  const built = await buildFirmware(plan, board, target, buildDir, { referenceCrc32: hex32(crc32(referenceOutput(model))), kernels: DEFAULT_KERNELS });
  const where = target.variant === null ? `${board.id} (emulated)` : `${board.id} ${target.variant} (${board.variants[target.variant]!.board})`;
  if (!built.ok) {
    process.stderr.write(`rig: ${model.name}/${schedule} for ${where}: ${built.reason}: ${built.detail}\n`);
    return 1;
  }
  const report = {
    model: model.name,
    schedule: plan.schedule,
    scheduleOptions: plan.options,
    board: board.id,
    variant: target.variant,
    runner: target.runner,
    buildId: built.buildId,
    elf: built.elfPath,
    map: built.mapPath,
    flashBytes: built.sizes.flashBytes,
    flashBudgetBytes: target.flashBytes,
    staticRamBytes: built.sizes.staticRamBytes,
    arenaBytes: plan.arenaBytes,
    stackReserveBytes: target.stackBytes,
    sramBudgetBytes: target.ramBytes + (target.arenaRegion?.sizeBytes ?? 0),
    // Where the arena is linked: its own RAM (the arena-RAM choice), or the one RAM it shares.
    arenaRam: target.arenaRam,
    arenaRegion: target.arenaRegion ?? { name: target.arenaRam === null ? 'RAM' : board.arenaRams[target.arenaRam]!.name, origin: target.ramOrigin, sizeBytes: target.ramBytes },
  };
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
      ? [`SRAM   ${formatInt(sram)} B of ${formatInt(report.sramBudgetBytes)} B (${pct(sram, report.sramBudgetBytes)}): arena ${formatInt(report.arenaBytes)} B + stack ${formatInt(report.stackReserveBytes)} B + .data/.bss ${formatInt(report.staticRamBytes)} B${report.arenaRam === null ? '' : ` in ${region.name} at ${at(region.origin)} (--arena-ram ${report.arenaRam})`}`]
      : [
          `arena  ${formatInt(report.arenaBytes)} B of ${formatInt(region.sizeBytes)} B (${pct(report.arenaBytes, region.sizeBytes)}) in ${region.name} at ${at(region.origin)} (--arena-ram ${report.arenaRam})`,
          `RAM    ${formatInt(report.stackReserveBytes + report.staticRamBytes)} B of ${formatInt(target.ramBytes)} B (${pct(report.stackReserveBytes + report.staticRamBytes, target.ramBytes)}) at ${at(target.ramOrigin)}: stack ${formatInt(report.stackReserveBytes)} B at its top + .data/.bss ${formatInt(report.staticRamBytes)} B`,
        ];
  process.stdout.write(
    [
      `${model.name}/${schedule} for ${where}: firmware ${built.buildId}`,
      `ELF    ${built.elfPath}`,
      `map    ${built.mapPath}`,
      `flash  ${formatInt(report.flashBytes)} B of ${formatInt(report.flashBudgetBytes)} B (${pct(report.flashBytes, report.flashBudgetBytes)}): code, weights, input, .data`,
      ...sramLines,
      '',
    ].join('\n'),
  );
  return 0;
}
