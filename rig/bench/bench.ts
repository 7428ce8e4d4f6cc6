// One benchmark case end to end: model → plan → reference → C → gcc → runner → telemetry → row.
// Expected outcomes (does not fit, mismatch, timeout) become the row's status, never exceptions.
import { join } from 'node:path';
import { arenaBudgetBytes, buildFirmware, describeArenaRams, imageCacheDir, weightsExternal, type BuildTarget } from '../compile/firmware.js';
import type { Board } from '../config/board.js';
import type { Runner } from '../deploy/types.js';
import { modelMacs, tensorBytes, type Model } from '../model/ir.js';
import { analyze } from '../schedule/analysis.js';
import { checkPlan } from '../schedule/check.js';
import { planLayerwise } from '../schedule/layerwise.js';
import { DEFAULT_TOKEN_ROWS, planMcuformer } from '../schedule/mcuformer.js';
import { defaultPatchOptions, planPatchSchedule } from '../schedule/patch.js';
import { planStreamSchedule } from '../schedule/stream.js';
import { scheduleLabel, type Plan, type ScheduleName } from '../schedule/plan.js';
import { profileSlotCount, readProfile } from '../schedule/profile.js';
import type { Latency, ResultRow, ResultStatus, RunnerKind } from '../results/row.js';
import { crc32, hex32 } from '../util/crc32.js';
import { UserError } from '../util/errors.js';
import { formatInt } from '../util/format.js';
import { createDebug, progress } from '../util/log.js';
import { median } from '../util/stats.js';
import { referenceCrc32 } from './reference-cache.js';

/** Where a case's time goes (DEBUG=rig:timing; scripts/bench-rig.sh prints it). */
export const timing = createDebug('timing');

export interface BenchCase {
  model: Model;
  schedule: ScheduleName;
  /** Patch grid and split; omitted ones take the schedule's defaults. */
  patches?: number | undefined;
  split?: number | undefined;
  /** mcuformer: token rows per block of an integrated chain. */
  rows?: number | undefined;
}

export interface BenchContext {
  runner: Runner;
  seed: number;
  warmup: number;
  runs: number;
  inferenceTimeoutMs: number;
  /** The kernel variant compiled into every image (rig/compile/kernels.ts). */
  kernels: string;
  buildRoot: string;
  signal?: AbortSignal | undefined;
  /** The firmware templates to build from (default firmware-templates/); tests give a modified copy. */
  templatesDir?: string | undefined;
  /** Why the case is refused before anything runs (--schedule auto found no plan within its budget): a does-not-fit row. */
  refused?: string | undefined;
  /** Asks each case's firmware for its output tensor after the runs, and hands it over with the row it belongs to. */
  onOutput?: ((row: Omit<ResultRow, 'runId'>, output: Uint8Array) => void | Promise<void>) | undefined;
}

/** Why --patches and --split were refused: they shape only the tiled schedules. */
export const TILED_OPTIONS_ONLY = '--patches and --split go with --schedule patch, stream1d or stream2d';

/** Why --rows was refused: it shapes only the mcuformer schedule. */
export const ROWS_OPTION_ONLY = '--rows goes with --schedule mcuformer';

export function planFor({ model, schedule, patches, split, rows }: BenchCase): Plan {
  if (rows !== undefined && schedule !== 'mcuformer') throw new UserError(ROWS_OPTION_ONLY, { exitCode: 2 });
  switch (schedule) {
    case 'layer':
      if (patches !== undefined || split !== undefined) throw new UserError(TILED_OPTIONS_ONLY, { exitCode: 2 });
      return planLayerwise(model);
    case 'mcuformer':
      if (patches !== undefined || split !== undefined) throw new UserError(TILED_OPTIONS_ONLY, { exitCode: 2 });
      return planMcuformer(model, { rows: rows ?? DEFAULT_TOKEN_ROWS, decompose: true, integrate: true, overwrite: true });
    case 'patch':
      return planPatchSchedule(model, defaultPatchOptions(model, { patches, split }));
    case 'stream1d':
    case 'stream2d':
      // The patch schedule's default split, so that streaming and patch-based compare on one stage.
      return planStreamSchedule(model, schedule, defaultPatchOptions(model, { patches, split }));
  }
}

/** Ticks the firmware reports for a measurement its 32-bit count cannot carry. */
export const TICKS_SATURATED = 0xffffffff;

export function latencyOf(values: readonly number[], unit: Latency['unit']): Latency | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { unit, n: sorted.length, min: sorted[0]!, median: median(sorted), max: sorted[sorted.length - 1]! };
}

function kb(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KB`;
}

/**
 * Checked before building: SRAM for the arena plus the reserved stack (or, when the target gives
 * the arena a RAM of its own, that RAM for the arena), flash for the constant data. (The linker
 * then enforces the exact budget, code and static data included.)
 */
export function fitsProblem(plan: Plan, board: Board, target: BuildTarget): string | null {
  const problems: string[] = [];
  const arena = target.arenaRegion;
  const flash = analyze(plan).weightBytes;
  // A schedule can make the arena fit, never the weights: the hint only when the flash is no problem.
  const budget = arenaBudgetBytes(target);
  const tiledHint =
    flash > board.flashBytes
      ? ''
      : `; a tiled schedule may fit: \`rig plan --budget ${budget}\` with this model names the one with the fewest MACs whose arena fits in ${formatInt(budget)} B, if any, and --schedule auto runs it`;
  if (arena === null) {
    const sram = plan.arenaBytes + target.stackBytes;
    if (sram > target.ramBytes) {
      problems.push(
        `${plan.model.name} needs ${kb(sram)} of SRAM (arena ${plan.arenaBytes} B + stack ${target.stackBytes} B); ${board.id} has ${kb(target.ramBytes)}${tiledHint}`,
      );
    }
  } else if (plan.arenaBytes > arena.sizeBytes) {
    problems.push(
      `${plan.model.name} needs ${kb(plan.arenaBytes)} of SRAM for its arena (${plan.arenaBytes} B); ${board.id}'s arena RAM ${target.arenaRam} (${arena.name}) has ${kb(arena.sizeBytes)} (--arena-ram: ${describeArenaRams(board)})${tiledHint}`,
    );
  }
  const ext = target.externalFlash;
  if (ext !== null && weightsExternal(flash, board, target)) {
    if (flash > ext.sizeBytes)
      problems.push(
        `${plan.model.name} needs ${kb(flash)} of flash for its weights; ${board.id}'s ${ext.name} flash has ${kb(ext.sizeBytes)}, and no schedule changes that`,
      );
  } else if (flash > board.flashBytes) {
    const withExternal = board.memory.externalFlash;
    const external =
      withExternal === undefined
        ? 'no external flash'
        : `no external flash on this variant (the ${withExternal.variants.join(', ')} variant${withExternal.variants.length === 1 ? ' has' : 's have'} ${kb(withExternal.sizeBytes)} of ${withExternal.name} flash: --variant ${withExternal.variants[0]})`;
    problems.push(
      `${plan.model.name} needs ${kb(flash)} of flash for its weights; ${board.id} has ${kb(board.flashBytes)} of internal flash and ${external}, and no schedule changes that (every schedule keeps all the weights in flash)`,
    );
  }
  return problems.length === 0 ? null : problems.join('; ');
}

/** The reference CRC of a row whose case was refused before the reference interpreter ran. */
export const NOT_COMPUTED = '-';

/**
 * The most MACs a second of inference can execute, from above: the emulator retires at most 10^9
 * instructions per second of host time and a kernel does at most 2 MACs per instruction (SMLAD);
 * silicon at most 2 instructions per cycle (the Cortex-M7 dual-issues), each at most 2 MACs. The
 * zoo's kernels need 3 or more instructions per MAC, so a real case is never refused by it.
 */
export function macsPerSecondBound(runner: Pick<Runner, 'kind' | 'board'>): number {
  return runner.kind === 'qemu' ? 2e9 : 4 * runner.board.maxClockHz;
}

/** Checked before the reference and the build: a case whose MACs cannot run within the per-inference timeout at any speed the runner has. */
export function tooLongProblem(plan: Plan, runner: Pick<Runner, 'kind' | 'board'>, timeoutMs: number): string | null {
  const rate = macsPerSecondBound(runner);
  const leastMs = (plan.macs / rate) * 1000;
  if (leastMs <= timeoutMs) return null;
  const speed =
    runner.kind === 'qemu'
      ? 'the emulator (at most 10^9 instructions per second, 2 MACs per instruction)'
      : `${runner.board.id} (${formatInt(runner.board.maxClockHz)} Hz, at most 2 instructions per cycle, 2 MACs per instruction)`;
  return `not run: ${plan.model.name} executes ${formatInt(plan.macs)} MACs per inference, at least ${formatInt(Math.ceil(leastMs))} ms on ${speed}, more than --timeout ${formatInt(timeoutMs)} ms`;
}

/** The directory of one target's builds: board and variant with its arena RAM, or board and emulation. */
export function targetDirName(board: Board, target: BuildTarget): string {
  return `${board.id}-${target.variant ?? target.runner}${target.arenaRam === null ? '' : `-arena-${target.arenaRam}`}`;
}

/** Where one case's sources and image go: per target (see targetDirName), kernel variant, model and schedule. */
export function buildDirFor(root: string, board: Board, target: BuildTarget, kernels: string, plan: Plan): string {
  const schedule = scheduleLabel(plan.schedule, plan.options).replace(/[^A-Za-z0-9]+/g, '-');
  return join(root, targetDirName(board, target), kernels, `${plan.model.name}-${schedule}`);
}

/** A case's row before anything is measured: what the plan and the reference interpreter (its output's CRC) say. */
export function baseRow(plan: Plan, board: Board, runner: RunnerKind, seed: number, referenceCrc32: string) {
  const { model } = plan;
  return {
    model: model.name,
    schedule: plan.schedule,
    scheduleOptions: { ...plan.options },
    board: board.id,
    runner,
    latency: null,
    samples: [],
    memory: {
      plannedArenaBytes: plan.arenaBytes,
      measuredArenaBytes: null,
      stackBytes: null,
      flashBytes: null,
      staticRamBytes: null,
      paperPeakBytes: plan.paperPeakBytes,
    },
    macs: plan.macs,
    layerwiseMacs: modelMacs(model),
    outputCrc32: null,
    referenceCrc32,
    inputCrc32: null,
    profile: null,
    kernelVariant: null,
    firmwareId: null,
    seed,
  } satisfies Omit<ResultRow, 'runId' | 'status' | 'detail'>;
}

/** Runs one planned case (plan first with `planFor`, so bad options fail before anything runs). */
export async function benchCase(ctx: BenchContext, plan: Plan): Promise<Omit<ResultRow, 'runId'>> {
  const { runner } = ctx;
  const board = runner.board;
  const { model } = plan;
  const schedule = scheduleLabel(plan.schedule, plan.options);
  const label = `${model.name}/${schedule} on ${board.id} (${runner.kind})`;
  // What the plan alone decides comes first: nothing expensive runs for a case that cannot run.
  // Such a row has no reference CRC: the reference interpreter never ran for it.
  const planned = (status: ResultStatus, detail: string) => ({
    ...baseRow(plan, board, runner.kind, ctx.seed, NOT_COMPUTED),
    kernelVariant: ctx.kernels,
    status,
    detail,
  });
  if (ctx.refused !== undefined) return planned('does-not-fit', ctx.refused);
  const problems = checkPlan(plan);
  if (problems.length > 0) return planned('error', `the plan fails its symbolic check (a bug in rig; please report it): ${problems.slice(0, 3).join('; ')}`);
  const tooBig = fitsProblem(plan, board, runner.target);
  if (tooBig !== null) return planned('does-not-fit', tooBig);
  const tooLong = tooLongProblem(plan, runner, ctx.inferenceTimeoutMs);
  if (tooLong !== null) return planned('timeout', tooLong);

  let started = performance.now();
  const reference = await referenceCrc32(model, ctx.seed, ctx.buildRoot);
  timing(`${model.name}: reference ${Math.round(performance.now() - started)} ms${reference.cached ? ' (cached)' : ''}`);
  // The variant asked for is part of the case, on its row whether or not an image gets built.
  const base = { ...baseRow(plan, board, runner.kind, ctx.seed, reference.crc32), kernelVariant: ctx.kernels };
  const { referenceCrc32: expectedCrc32 } = base;

  progress(`${label}: building`);
  started = performance.now();
  const buildDir = buildDirFor(ctx.buildRoot, board, runner.target, ctx.kernels, plan);
  const built = await buildFirmware(plan, board, runner.target, buildDir, {
    referenceCrc32: expectedCrc32,
    kernels: ctx.kernels,
    signal: ctx.signal,
    templatesDir: ctx.templatesDir,
    cacheDir: imageCacheDir(ctx.buildRoot),
  });
  timing(
    `${model.name}: build ${Math.round(performance.now() - started)} ms${built.ok && built.cached ? ` (cached${built.generated ? '' : ', no sources generated'})` : ''}`,
  );
  if (!built.ok) return { ...base, status: built.reason, detail: `${model.name}: ${built.detail}` };
  const withBuild = {
    ...base,
    memory: {
      ...base.memory,
      flashBytes: built.sizes.flashBytes,
      ...(built.sizes.externalFlashBytes > 0 ? { externalFlashBytes: built.sizes.externalFlashBytes } : {}),
      staticRamBytes: built.sizes.staticRamBytes,
    },
    kernelVariant: built.kernelVariant,
    firmwareId: built.buildId,
  };

  progress(`${label}: running ${ctx.warmup} warm-up + ${ctx.runs} timed inferences`);
  started = performance.now();
  const outcome = await runner.run({
    elfPath: built.elfPath,
    expect: { fw: built.buildId, model: model.name, schedule: plan.schedule, board: board.id },
    warmup: ctx.warmup,
    runs: ctx.runs,
    outputBytes: ctx.onOutput === undefined ? undefined : tensorBytes(model.tensors[model.output]!),
    inferenceTimeoutMs: ctx.inferenceTimeoutMs,
    signal: ctx.signal,
  });
  timing(`${model.name}: ${runner.kind} ${Math.round(performance.now() - started)} ms`);
  const t = outcome.telemetry;
  const samples = [...t.samples].sort((a, b) => a.i - b.i);
  const latencies = samples.map((s) => runner.toLatency(s.ticks));
  const measured = {
    ...withBuild,
    samples: latencies,
    latency: latencyOf(latencies, runner.latencyUnit),
    memory: { ...withBuild.memory, measuredArenaBytes: t.mem?.arenaUsed ?? null, stackBytes: t.mem?.stackUsed ?? null },
    outputCrc32: samples[0]?.crc32 ?? null,
    inputCrc32: t.inputCrc32 ?? null,
  };
  if (!outcome.ok) return { ...measured, status: outcome.status, detail: `${outcome.phase}: ${outcome.detail}` };
  if (t.hello?.timer !== runner.timer) {
    return { ...measured, status: 'telemetry-error', detail: `the firmware times with ${t.hello?.timer}, expected ${runner.timer}` };
  }

  // The firmware saturates a count its 32-bit timer cannot carry (PROTOCOL.md): never a latency.
  const saturated = samples.filter((s) => s.ticks === TICKS_SATURATED);
  if (saturated.length > 0) {
    return {
      ...measured,
      samples: [],
      latency: null,
      status: 'telemetry-error',
      detail: `${saturated.length} of ${samples.length} inferences took 2^32 timer ticks or more, more than the ${t.hello?.timer} count can carry`,
    };
  }
  // The image holds the input the reference interpreter was given, or it is not this case's image.
  const inputCrc32 = hex32(crc32(model.inputData));
  if (t.inputCrc32 !== inputCrc32) {
    return { ...measured, status: 'wrong-firmware', detail: `the firmware's input has CRC-32 ${t.inputCrc32 ?? '(none)'}, the model's input ${inputCrc32}` };
  }
  const profiled = t.profile;
  if (profiled !== undefined && profiled.slotTicks.length !== profileSlotCount(model)) {
    return { ...measured, status: 'telemetry-error', detail: `the profiling pass has ${profiled.slotTicks.length} slots, the plan ${profileSlotCount(model)}` };
  }
  const wrong = samples.filter((s) => s.crc32 !== expectedCrc32);
  let status: ResultStatus = 'ok';
  const details: string[] = [];
  if (profiled !== undefined && profiled.crc32 !== expectedCrc32) {
    status = 'mismatch';
    details.push(`the profiling pass's output CRC ${profiled.crc32} differs from the reference ${expectedCrc32}`);
  }
  if (wrong.length > 0) {
    status = 'mismatch';
    details.push(
      `output CRC differs from the reference ${expectedCrc32} in ${wrong.length} of ${samples.length} runs (${wrong
        .slice(0, 3)
        .map((s) => `run ${s.i}: ${s.crc32}`)
        .join(', ')})`,
    );
  }
  const arenaUsed = t.mem!.arenaUsed;
  if (arenaUsed !== plan.arenaBytes) {
    if (status === 'ok') status = 'memory-mismatch';
    details.push(`measured arena ${arenaUsed} B differs from the planned ${plan.arenaBytes} B`);
  }
  if (outcome.note !== undefined) details.push(outcome.note);
  const profile = profiled === undefined ? null : readProfile(plan, profiled.slotTicks, profiled.ticks, runner.toLatency);
  const row = { ...measured, outputCrc32: (wrong[0] ?? samples[0])!.crc32, profile, status, detail: details.length > 0 ? details.join('; ') : null };
  if (ctx.onOutput !== undefined && t.output !== undefined) {
    // The bytes sent after the profiling pass are its output: they must have the CRC it reported.
    const sent = hex32(crc32(t.output));
    if (sent !== profiled?.crc32) {
      return {
        ...row,
        status: 'telemetry-error',
        detail: `the output bytes sent have CRC-32 ${sent}, the profiling pass reported ${profiled?.crc32 ?? '(none)'}`,
      };
    }
    await ctx.onOutput(row, t.output);
  }
  return row;
}
