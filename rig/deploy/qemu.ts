// Emulated runner: QEMU 7.2's mps2 Cortex-M machines with -icount shift=N, so SysTick ticks are
// a deterministic count of executed instructions. The serial port is a pty opened by the same
// serial code that opens a board's ST-LINK port.
import { emulatedTarget } from '../compile/firmware.js';
import type { Board } from '../config/board.js';
import { failureMessage, runTool, startTool, type LongRunning } from '../proc/run.js';
import { openSerialLink, type SerialLink } from '../telemetry/serial.js';
import { runSession, type LineLink, type SessionOutcome } from '../telemetry/session.js';
import { errorMessage } from '../util/errors.js';
import { createDebug } from '../util/log.js';
import { sessionOptions, type AttachOutcome, type AttachRequest, type Conversation, type Runner, type RunRequest } from './types.js';

const debug = createDebug('qemu');
export const QEMU = 'qemu-system-arm';
const QEMU_HINT = 'install it with ./scripts/setup.sh, or: apt-get install --no-install-recommends qemu-system-arm';
const PTY_TIMEOUT_MS = 10_000;
const HELLO_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 5_000;
const PTY_ANNOUNCEMENT = /char device redirected to (\/dev\/pts\/\d+)/;

export function qemuArgs(board: Board, elfPath: string): string[] {
  const e = board.emulation;
  return [
    '-M',
    e.qemuMachine,
    '-cpu',
    e.qemuCpu,
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    'pty',
    '-semihosting-config',
    'enable=on,target=native',
    '-icount',
    `shift=${e.icountShift}`,
    '-kernel',
    elfPath,
  ];
}

/** Instructions per SysTick tick: with icount shift s one instruction takes 2^s ns of virtual time. */
export function instructionsPerTick(board: Board): number {
  return 1e9 / (board.emulation.systickHz * 2 ** board.emulation.icountShift);
}

/** The promise's value if it settles within `ms`, else undefined. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([promise, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref())]);
}

/**
 * Boots an image in QEMU, opens the serial pseudo-terminal it announces and hands both to `use`;
 * afterwards the link is closed and QEMU killed, however `use` ended.
 */
async function withQemu<R>(
  board: Board,
  elfPath: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  use: (link: SerialLink, qemu: LongRunning, ptyPath: string) => Promise<R>,
): Promise<R> {
  const qemu = startTool(QEMU, qemuArgs(board, elfPath), { timeoutMs, signal, installHint: QEMU_HINT });
  let link: SerialLink | undefined;
  try {
    const ptyPath = (await qemu.waitForOutput(PTY_ANNOUNCEMENT, PTY_TIMEOUT_MS))[1]!;
    debug(`serial on ${ptyPath}`);
    link = await openSerialLink(ptyPath);
    return await use(link, qemu, ptyPath);
  } finally {
    await link?.close();
    qemu.kill();
    await qemu.done.catch(() => undefined);
  }
}

export function createQemuRunner(board: Board): Runner {
  const perTick = instructionsPerTick(board);
  return {
    kind: 'qemu',
    board,
    latencyUnit: 'instructions',
    timer: 'systick',
    target: emulatedTarget(board),
    toLatency: (ticks) => ticks * perTick,
    async versions(signal) {
      const r = await runTool(QEMU, ['--version'], { timeoutMs: 10_000, signal, installHint: QEMU_HINT });
      return { qemu: r.stdout.split('\n')[0]?.trim() ?? 'unknown' };
    },
    async run(request: RunRequest): Promise<SessionOutcome> {
      const overallMs = PTY_TIMEOUT_MS + HELLO_TIMEOUT_MS + (request.warmup + request.runs + 3) * request.inferenceTimeoutMs;
      return withQemu(board, request.elfPath, overallMs, request.signal, async (link, qemu) => {
        const outcome = await runSession(link, sessionOptions(request, HELLO_TIMEOUT_MS));
        if (!outcome.ok) {
          // A firmware that crashed takes QEMU down with it: say what QEMU said.
          const ended = await within(qemu.done, 200);
          return ended === undefined ? outcome : { ...outcome, detail: `${outcome.detail}; QEMU ended: ${failureMessage(ended)}` };
        }
        // The firmware ends with a semihosting exit after its done line.
        const exit = await within(qemu.done, EXIT_TIMEOUT_MS);
        if (exit === undefined) {
          return {
            ok: false,
            status: 'device-error',
            phase: 'done',
            detail: `QEMU did not exit within ${EXIT_TIMEOUT_MS} ms after the run`,
            telemetry: outcome.telemetry,
          };
        }
        if (exit.exitCode !== 0) {
          return { ok: false, status: 'device-error', phase: 'done', detail: `QEMU failed: ${failureMessage(exit)}`, telemetry: outcome.telemetry };
        }
        return outcome;
      });
    },
    async attach<T extends Conversation>(request: AttachRequest, talk: (link: LineLink) => Promise<T>): Promise<AttachOutcome<T>> {
      let booted = false;
      try {
        return await withQemu(board, request.elfPath, request.timeoutMs, request.signal, async (link, qemu, ptyPath): Promise<AttachOutcome<T>> => {
          booted = true;
          const value = await talk(link);
          const started = `QEMU ${board.emulation.qemuMachine} on ${ptyPath}`;
          // A conversation that did not end the firmware's session leaves QEMU running: it is killed.
          if (!value.finished) return { ok: true, value, started, exit: null };
          const ended = await within(qemu.done, EXIT_TIMEOUT_MS);
          const exit =
            ended === undefined
              ? { ok: false, detail: `QEMU did not exit within ${EXIT_TIMEOUT_MS} ms after the end` }
              : { ok: ended.exitCode === 0, detail: ended.exitCode === 0 ? 'QEMU exited with 0' : `QEMU failed: ${failureMessage(ended)}` };
          return { ok: true, value, started, exit };
        });
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason;
        if (booted) throw error; // the conversation's own failure, not the boot's
        return { ok: false, phase: 'boot', status: 'device-error', detail: errorMessage(error) };
      }
    },
  };
}
