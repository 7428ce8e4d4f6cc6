// One bench session: a runner for one board, its lock, one stored run and its rows. `rig bench`
// runs one session; `rig nightly` runs one per suite entry and records a board it cannot reach
// as failed rows instead of stopping.
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolchainVersion } from '../compile/firmware.js';
import type { Board } from '../config/board.js';
import type { LabEntry } from '../config/lab.js';
import { chooseProbe, createHardwareRunner, type ProbeChoice } from '../deploy/hardware.js';
import { lockBoard, type BoardLock } from '../deploy/lock.js';
import { createQemuRunner } from '../deploy/qemu.js';
import type { Runner } from '../deploy/types.js';
import { runTool } from '../proc/run.js';
import { scheduleLabel, type Plan } from '../schedule/plan.js';
import type { ResultRow, RunnerKind } from '../results/row.js';
import { newUid, type Store } from '../store/db.js';
import { RunWriter } from '../store/pending.js';
import { errorMessage, UserError } from '../util/errors.js';
import { progress } from '../util/log.js';
import { ROOT } from '../util/paths.js';
import { baseRow, benchCase, type BenchContext } from './bench.js';
import { computeReferenceCrc32 } from './reference-cache.js';

/** Board locks live where every checkout on this machine sees them. */
const LOCK_DIR = join(tmpdir(), 'rig-locks');

/** Which board a session runs on, as the command line or a suite entry names it. */
export interface BoardChoice {
  board: Board;
  /** The lab inventory's entry for the board, when it was named by its lab name. */
  entry: LabEntry | null;
  emulate: boolean;
  variant?: string | undefined;
  probe?: string | undefined;
  port?: string | undefined;
  /** Silicon: the SRAM that holds the arena (the board file's memory.arenaRam; default its default). */
  arenaRam?: string | undefined;
  /** The rig command, for the hint when no probe is found (default bench). */
  command?: string | undefined;
}

export interface SessionRunner {
  runner: Runner;
  /** The probe of a physical board; null when emulated. */
  probe: ProbeChoice | null;
}

/**
 * The runner for a board: QEMU, or the attached probe (fails fast, naming what it looked for,
 * when none is attached). A lab board's inventory entry gives its variant, probe and port;
 * explicit options override it.
 */
export async function openRunner(choice: BoardChoice): Promise<SessionRunner> {
  const { board, entry } = choice;
  if (choice.emulate) return { runner: createQemuRunner(board, choice.variant ?? entry?.variant), probe: null };
  const probe = await chooseProbe(board, { probe: choice.probe ?? entry?.probe, port: choice.port ?? entry?.port }, choice.command);
  return {
    runner: createHardwareRunner(board, choice.variant ?? entry?.variant ?? board.defaultVariant, probe, choice.arenaRam ?? board.defaultArenaRam),
    probe,
  };
}

/** One rig process per physical board: the probe's lock (none for an emulated board). */
export async function lockRunner({ runner, probe }: SessionRunner, wait: boolean, signal: AbortSignal): Promise<BoardLock | undefined> {
  if (probe === null) return undefined;
  return lockBoard(LOCK_DIR, `${runner.board.id}-${probe.probeSerial ?? probe.port}`, { wait, signal });
}

export interface SessionSettings {
  seed: number;
  warmup: number;
  runs: number;
  timeoutMs: number;
  /** The kernel variant compiled into every image (firmware-templates/kernels/<name>/). */
  kernels: string;
  buildDir: string;
  /** Wait for a board another rig process uses (false: fail at once). */
  wait: boolean;
  /** Stored with the run, to say how it was asked for. */
  args: unknown;
  /** See BenchContext.onOutput. */
  onOutput?: BenchContext['onOutput'];
  /** Cases refused before anything runs, by their plan, and why (see BenchContext.refused). */
  refused?: ReadonlyMap<Plan, string> | undefined;
  nightlyId?: number | undefined;
}

/** HEAD, with -dirty when a tracked file differs from it; asked every run (the working tree is not cached). */
async function gitRevision(signal: AbortSignal): Promise<string | null> {
  const git = (args: string[]) => runTool('git', ['-C', ROOT, ...args], { timeoutMs: 10_000, signal }).catch(() => null);
  const [rev, status] = await Promise.all([git(['rev-parse', 'HEAD']), git(['status', '--porcelain', '--untracked-files=no'])]);
  if (rev === null || rev.exitCode !== 0) return null;
  return rev.stdout.trim() + (status?.stdout.trim() === '' ? '' : '-dirty');
}

/**
 * Runs every plan on one board and stores the run and its rows as they come. The run is marked
 * complete, or failed / interrupted (with the rows stored so far) when something throws.
 */
export async function runSession(
  store: Store,
  { runner, probe }: SessionRunner,
  plans: readonly Plan[],
  settings: SessionSettings,
  signal: AbortSignal,
): Promise<{ runId: number; rows: ResultRow[] }> {
  const board = runner.board;
  // One rig process per physical board; emulated boards are not shared.
  const lock = await lockRunner({ runner, probe }, settings.wait, signal);
  const rows: ResultRow[] = [];
  let runId: number | undefined;
  // A row the database refuses (another program holds its lock) waits in memory, then in the side file.
  let writer: RunWriter | undefined;
  let failed = false;
  try {
    const [gcc, runnerVersions, gitRev] = await Promise.all([toolchainVersion(signal), runner.versions(signal), gitRevision(signal)]);
    // The uid goes with the run into the side file, which `rig results import` finds it again by.
    const info = {
      uid: newUid(),
      startedAt: new Date().toISOString(),
      gitRevision: gitRev,
      host: hostname(),
      toolchain: { gcc, ...runnerVersions, node: process.version },
      board: board.id,
      runner: runner.kind,
      args: settings.args,
      nightlyId: settings.nightlyId ?? null,
    };
    runId = store.startRun(info);
    writer = new RunWriter(store, runId, info);
    for (const plan of plans) {
      const row = {
        runId,
        ...(await benchCase(
          {
            runner,
            seed: settings.seed,
            warmup: settings.warmup,
            runs: settings.runs,
            inferenceTimeoutMs: settings.timeoutMs,
            kernels: settings.kernels,
            buildRoot: settings.buildDir,
            signal,
            onOutput: settings.onOutput,
            refused: settings.refused?.get(plan),
          },
          plan,
        )),
      };
      // A stop signal sent to rig's whole process group (timeout, systemd) may end the case's
      // child before rig's own handler runs: the case then looks like a device error. Its row is
      // not stored, and the run is interrupted.
      signal.throwIfAborted();
      writer.addResult(row);
      rows.push(row);
      progress(
        `${row.model}/${scheduleLabel(row.schedule, row.scheduleOptions)} on ${board.id}: ${row.status}${row.detail === null ? '' : ` (${row.detail})`}`,
      );
    }
    writer.finishRun('complete');
    return { runId, rows };
  } catch (error) {
    failed = true;
    writer?.finishRun(signal.aborted ? 'interrupted' : 'failed');
    throw error;
  } finally {
    lock?.release();
    const kept = writer?.close();
    if (kept !== null && kept !== undefined) {
      const what = `${kept.rows} row${kept.rows === 1 ? '' : 's'} of run ${runId}${kept.rows === 0 ? ' (its end)' : ''}`;
      const message =
        `Could not write ${what} to ${store.path}: another program has held its write lock for over ${store.busyTimeoutMs / 1000} s. ` +
        `They are kept in ${kept.file}; \`rig results import ${kept.file} --db ${store.path}\` stores them`;
      // Thrown from finally, this takes the place of the run's outcome; after a failure, it is said beside it.
      if (failed) progress(message);
      else throw new UserError(message); // eslint-disable-line no-unsafe-finally
    }
  }
}

/**
 * A board that could not be reached or locked: one failed run whose rows all carry the reason,
 * so that the night's other boards go on and its report shows what was missed.
 */
export function recordUnreachable(
  store: Store,
  choice: BoardChoice,
  plans: readonly Plan[],
  settings: SessionSettings,
  error: unknown,
): { runId: number; rows: ResultRow[] } {
  const runner: RunnerKind = choice.emulate ? 'qemu' : 'hardware';
  const runId = store.startRun({
    startedAt: new Date().toISOString(),
    gitRevision: null,
    host: hostname(),
    toolchain: {},
    board: choice.board.id,
    runner,
    args: settings.args,
    nightlyId: settings.nightlyId ?? null,
  });
  const detail = `the board could not be used: ${errorMessage(error)}`;
  const rows = plans.map((plan) => ({
    runId,
    ...baseRow(plan, choice.board, runner, settings.seed, computeReferenceCrc32(plan.model)),
    kernelVariant: settings.kernels,
    status: 'device-error' as const,
    detail,
  }));
  for (const row of rows) store.addResult(row);
  store.finishRun(runId, 'failed');
  return { runId, rows };
}
