// A board's selftest below the command line: build the selftest image, flash it (or boot it in
// QEMU) under the board's lock, and hold the selftest conversation: UART round trips of several
// sizes, SysTick, the cycle counter against SysTick, the core clock against the host's clock.
import { join } from 'node:path';
import { buildSelftest, imageCacheDir } from '../compile/firmware.js';
import { boardFaultDetail, CYCLES_PER_SYSTICK_TICK } from '../deploy/hardware.js';
import type { RunnerKind } from '../results/row.js';
import { runSelftest, type Check, type ClockExpectation } from '../telemetry/selftest.js';
import { UserError } from '../util/errors.js';
import { progress } from '../util/log.js';
import { targetDirName } from './bench.js';
import { openBoard, type BoardRequest } from './run.js';
import { lockRunner } from './session.js';

/** Ping payload sizes: a byte, a short and a medium command, and the longest line the firmware echoes. */
export const PING_SIZES = [1, 16, 64, 256] as const;
const PINGS_PER_SIZE = 5;
/** The core clock may be this far off (as a fraction), plus the host's measured latency. */
export const CLOCK_TOLERANCE = 0.02;
/** Between the two clock marks: long enough that a few ms of USB latency stay well under 1%. */
const SILICON_WINDOW_MS = 1_500;
/** Under emulation the marks only check that SysTick counts: no need to wait long. */
const EMULATED_WINDOW_MS = 200;
const HELLO_TIMEOUT_MS = 10_000;
const REPLY_TIMEOUT_MS = 1_000;
/** Bounds the emulator for the whole conversation. */
const ATTACH_TIMEOUT_MS = 120_000;

export interface SelftestRequest {
  board: BoardRequest;
  /** Where the selftest image goes (<board>-<variant>…/selftest/). */
  buildDir: string;
  /** Wait for a board another rig process uses (false: fail at once). */
  wait: boolean;
}

export interface SelftestReport {
  board: string;
  variant: string | null;
  runner: RunnerKind;
  port: string | null;
  firmware: string | null;
  /** How the image came to run (flashed, already running, QEMU). */
  started: string | null;
  checks: Check[];
  passed: boolean;
}

/** The checks of one board, and how to name the board in a heading. */
export async function selftestBoard(request: SelftestRequest, signal: AbortSignal): Promise<{ report: SelftestReport; where: string }> {
  const { board, session } = await openBoard(request.board, 'selftest');
  const { runner, probe } = session;
  const target = runner.target;
  const variant = target.variant;
  const where = variant === null ? `${board.id} (emulated, QEMU ${board.emulation.qemuMachine})` : `${board.id} ${variant} (${board.variants[variant]!.board})`;
  const clock: ClockExpectation =
    runner.kind === 'hardware'
      ? { kind: 'measure', hz: board.maxClockHz, tolerance: CLOCK_TOLERANCE, cyclesPerTick: CYCLES_PER_SYSTICK_TICK }
      : {
          kind: 'not-applicable',
          reason: `QEMU runs with -icount shift=${board.emulation.icountShift}: emulated time counts instructions, not seconds, so it has no clock rate to measure`,
          counterReason: 'QEMU models no DWT cycle counter',
        };

  const lock = await lockRunner(session, request.wait, signal);
  try {
    progress(`${where}: building the selftest image`);
    const built = await buildSelftest(board, target, join(request.buildDir, targetDirName(board, target), 'selftest'), imageCacheDir(request.buildDir), signal);
    if (!built.ok) throw new UserError(`The selftest image for ${where} did not build: ${built.reason}: ${built.detail}`);
    progress(
      `${where}: ${runner.kind === 'hardware' ? `programming it (unless it runs already) and checking the board on ${probe!.port}` : 'checking the emulated board'}`,
    );
    const outcome = await runner.attach({ elfPath: built.elfPath, fw: built.buildId, timeoutMs: ATTACH_TIMEOUT_MS, signal }, (link) =>
      runSelftest(link, {
        expect: { fw: built.buildId, board: board.id, timer: runner.timer },
        clock,
        windowMs: runner.kind === 'hardware' ? SILICON_WINDOW_MS : EMULATED_WINDOW_MS,
        pingSizes: PING_SIZES,
        pingsPerSize: PINGS_PER_SIZE,
        helloTimeoutMs: HELLO_TIMEOUT_MS,
        replyTimeoutMs: REPLY_TIMEOUT_MS,
        explainFault: variant === null ? undefined : (code) => boardFaultDetail(board, variant, code),
        signal,
      }),
    );
    const base = { board: board.id, variant, runner: runner.kind, port: probe?.port ?? null, firmware: built.buildId };
    if (!outcome.ok) {
      const check: Check = {
        name: outcome.phase === 'flash' ? 'flash' : 'start',
        result: 'fail',
        measured: outcome.status,
        expected: outcome.phase === 'flash' ? 'programmed and verified' : 'the image starts',
        note: outcome.detail,
      };
      return { report: { ...base, started: null, checks: [check], passed: false }, where };
    }
    const checks = [...outcome.value.checks];
    if (outcome.exit !== null) {
      checks.push({
        name: 'emulator exit',
        result: outcome.exit.ok ? 'pass' : 'fail',
        measured: outcome.exit.detail,
        expected: 'QEMU exits with 0 after the end',
        note: null,
      });
    }
    return { report: { ...base, started: outcome.started, checks, passed: checks.every((c) => c.result !== 'fail') }, where };
  } finally {
    lock?.release();
  }
}
