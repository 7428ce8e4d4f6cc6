// One image without running it (`rig build`): plan, generate and compile a model for a board,
// and what the image takes of its flash and SRAM.
import { basename, join } from 'node:path';
import { arenaRamUnderEmulation, buildFirmware, imageCacheDir, emulatedTarget, hardwareTarget, type BuildTarget } from '../compile/firmware.js';
import { checkKernels } from '../compile/kernels.js';
import { loadBoard } from '../config/board.js';
import { readInputFile, withInput } from '../config/input.js';
import { loadModel } from '../config/model.js';
import { scheduleLabel, type ScheduleName } from '../schedule/plan.js';
import { UserError } from '../util/errors.js';
import { buildDirFor, planFor } from './bench.js';
import { referenceCrc32 } from './reference-cache.js';

export interface BuildRequest {
  board: string;
  /** Silicon: the board variant (default the board file's). */
  variant?: string | undefined;
  emulate: boolean;
  /** Silicon: the SRAM that holds the arena (default the board file's). */
  arenaRam?: string | undefined;
  model: string;
  schedule: ScheduleName;
  patches?: number | undefined;
  split?: number | undefined;
  rows?: number | undefined;
  seed: number;
  /** A file of input bytes (raw NHWC int8, or .npy) instead of the seeded input. */
  input?: string | undefined;
  /** The kernel variant to compile (firmware-templates/kernels/<name>/). */
  kernels: string;
  buildDir: string;
}

/** What was built and its sizes against the board's budgets (the `--json` of rig build). */
export interface BuildReport {
  model: string;
  schedule: ScheduleName;
  scheduleOptions: Readonly<Record<string, number>>;
  board: string;
  variant: string | null;
  runner: BuildTarget['runner'];
  buildId: string;
  kernelVariant: string;
  elf: string;
  map: string;
  flashBytes: number;
  flashBudgetBytes: number;
  /** The target's external flash and what of the image is there; null where it has none. */
  externalFlash: { name: string; bytes: number; budgetBytes: number } | null;
  staticRamBytes: number;
  arenaBytes: number;
  stackReserveBytes: number;
  sramBudgetBytes: number;
  /** Where the arena is linked: its own RAM (the arena-RAM choice), or the one RAM it shares. */
  arenaRam: string | null;
  arenaRegion: { name: string; origin: number; sizeBytes: number };
}

export type BuildImageOutcome =
  | { ok: true; report: BuildReport; target: BuildTarget; where: string; label: string }
  /** The compiler or linker refused; `message` says what for and why. */
  | { ok: false; message: string };

export async function buildImage(request: BuildRequest): Promise<BuildImageOutcome> {
  checkKernels(request.kernels);
  const board = await loadBoard(request.board);
  if (request.emulate && request.arenaRam !== undefined) throw new UserError(arenaRamUnderEmulation(board), { exitCode: 2 });
  const target = request.emulate
    ? emulatedTarget(board, request.variant)
    : hardwareTarget(board, request.variant ?? board.defaultVariant, request.arenaRam ?? board.defaultArenaRam);
  const loaded = await loadModel(request.model, request.seed);
  const model = request.input === undefined ? loaded : withInput(loaded, await readInputFile(request.input));
  const plan = planFor({ model, schedule: request.schedule, patches: request.patches, split: request.split, rows: request.rows });
  const label = `${model.name}/${scheduleLabel(plan.schedule, plan.options)}`;
  const buildDir = buildDirFor(request.buildDir, board, target, request.kernels, plan);
  const reference = await referenceCrc32(model, request.seed, request.buildDir);
  const built = await buildFirmware(plan, board, target, buildDir, {
    referenceCrc32: reference.crc32,
    kernels: request.kernels,
    cacheDir: imageCacheDir(request.buildDir),
  });
  const where = target.variant === null ? `${board.id} (emulated)` : `${board.id} ${target.variant} (${board.variants[target.variant]!.board})`;
  if (!built.ok) return { ok: false, message: `${label} for ${where}: ${built.reason}: ${built.detail}` };
  const report: BuildReport = {
    model: model.name,
    schedule: plan.schedule,
    scheduleOptions: plan.options,
    board: board.id,
    variant: target.variant,
    runner: target.runner,
    buildId: built.buildId,
    kernelVariant: built.kernelVariant,
    // The case's folder, a link to the image's cache entry: where the user looks for it.
    elf: join(buildDir, basename(built.elfPath)),
    map: join(buildDir, basename(built.mapPath)),
    flashBytes: built.sizes.flashBytes,
    flashBudgetBytes: target.flashBytes,
    externalFlash:
      target.externalFlash === null
        ? null
        : { name: target.externalFlash.name, bytes: built.sizes.externalFlashBytes, budgetBytes: target.externalFlash.sizeBytes },
    staticRamBytes: built.sizes.staticRamBytes,
    arenaBytes: plan.arenaBytes,
    stackReserveBytes: target.stackBytes,
    sramBudgetBytes: target.ramBytes + (target.arenaRegion?.sizeBytes ?? 0),
    arenaRam: target.arenaRam,
    arenaRegion: target.arenaRegion ?? {
      name: target.arenaRam === null ? 'RAM' : board.arenaRams[target.arenaRam]!.name,
      origin: target.ramOrigin,
      sizeBytes: target.ramBytes,
    },
  };
  return { ok: true, report, target, where, label };
}
