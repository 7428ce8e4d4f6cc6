// Emulated runner: QEMU 7.2's mps2 Cortex-M machines with -icount shift=N, so SysTick ticks are
// a deterministic count of executed instructions. The UART is a unix socket that QEMU listens on
// and waits for (server=on,wait=on): the guest starts only once rig has connected, so no byte is
// lost and nothing is polled. (QEMU notices that the host opened a -serial pty only by polling
// about once a second.) The board support then wakes QEMU's main loop once its receiver is on
// (firmware-templates/board/mps2.c), or the run command would wait up to a second more. The
// socket is one per run, in a fresh folder under the temporary directory, removed afterwards; the
// conversation over it is the one every board has (rig/telemetry/session.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emulatedTarget } from '../compile/firmware.js';
import type { Board } from '../config/board.js';
import { failureMessage, startTool, type LongRunning } from '../proc/run.js';
import { toolVersionLine } from '../proc/version-cache.js';
import { openSocketLink, type SerialLink } from '../telemetry/serial.js';
import { emptyTelemetry, runSession, type LineLink, type SessionOutcome } from '../telemetry/session.js';
import { errorMessage } from '../util/errors.js';
import { MAX_TIMER_MS } from '../util/limits.js';
import { createDebug } from '../util/log.js';
import { sessionOptions, type AttachOutcome, type AttachRequest, type Conversation, type Runner, type RunRequest } from './types.js';

const debug = createDebug('qemu');
export const QEMU = 'qemu-system-arm';
const QEMU_HINT = 'install it with ./scripts/setup.sh, or: apt-get install --no-install-recommends qemu-system-arm';
const LISTEN_TIMEOUT_MS = 10_000;
const HELLO_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 5_000;
/** What QEMU prints on stderr once its UART socket listens. */
const LISTENING = /QEMU waiting for connection on/;
/** A unix socket's path fits in sun_path: 108 bytes with the terminating NUL. */
const SOCKET_PATH_MAX = 107;

export function qemuArgs(board: Board, elfPath: string, socketPath: string): string[] {
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
    // QEMU's option syntax doubles a comma inside a value.
    '-chardev',
    `socket,id=uart,path=${socketPath.replaceAll(',', ',,')},server=on,wait=on`,
    '-serial',
    'chardev:uart',
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

/** QEMU's run: what `use` returned, or why QEMU never opened its UART (the boot failed). */
type Booted<R> = { ok: true; value: R } | { ok: false; detail: string };

/**
 * Boots an image in QEMU, connects to its UART socket and hands the link to `use`; afterwards the
 * link is closed, QEMU killed and the socket's folder removed, however `use` ended.
 */
async function withQemu<R>(
  board: Board,
  elfPath: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  use: (link: SerialLink, qemu: LongRunning) => Promise<R>,
): Promise<Booted<R>> {
  let dir: string;
  try {
    dir = await mkdtemp(join(tmpdir(), 'rig-qemu-'));
  } catch (error) {
    return { ok: false, detail: `QEMU did not start: no folder for its UART socket: ${errorMessage(error)}` };
  }
  try {
    const socketPath = join(dir, 'uart');
    if (Buffer.byteLength(socketPath) > SOCKET_PATH_MAX) {
      return {
        ok: false,
        detail: `QEMU did not start: the UART socket's path ${socketPath} is longer than ${SOCKET_PATH_MAX} bytes: set TMPDIR to a shorter folder`,
      };
    }
    const qemu = startTool(QEMU, qemuArgs(board, elfPath, socketPath), { timeoutMs, signal, installHint: QEMU_HINT });
    let link: SerialLink | undefined;
    try {
      try {
        await qemu.waitForOutput(LISTENING, LISTEN_TIMEOUT_MS);
        link = await openSocketLink(socketPath);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        return { ok: false, detail: `QEMU did not start: ${errorMessage(error)}` };
      }
      debug(`serial on ${socketPath}`);
      return { ok: true, value: await use(link, qemu) };
    } finally {
      await link?.close();
      qemu.kill();
      await qemu.done.catch(() => undefined);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * How long QEMU may run for a whole session: booting, the hello, and every inference at its
 * timeout, with room for three more (the profiling pass, the output, the end); never more than a
 * Node timer can wait (a longer delay would fire at once and kill QEMU as it starts).
 */
export function qemuOverallMs(warmup: number, runs: number, inferenceTimeoutMs: number): number {
  return Math.min(MAX_TIMER_MS, LISTEN_TIMEOUT_MS + HELLO_TIMEOUT_MS + (warmup + runs + 3) * inferenceTimeoutMs);
}

/** `variant`: the board variant emulated (default the board's): its external flash, if it has any. */
export function createQemuRunner(board: Board, variant: string = board.defaultVariant): Runner {
  const perTick = instructionsPerTick(board);
  return {
    kind: 'qemu',
    board,
    latencyUnit: 'instructions',
    timer: 'systick',
    target: emulatedTarget(board, variant),
    toLatency: (ticks) => ticks * perTick,
    async versions(signal) {
      return { qemu: await toolVersionLine(QEMU, ['--version'], { timeoutMs: 10_000, signal, installHint: QEMU_HINT }) };
    },
    async run(request: RunRequest): Promise<SessionOutcome> {
      const overallMs = qemuOverallMs(request.warmup, request.runs, request.inferenceTimeoutMs);
      const booted = await withQemu(board, request.elfPath, overallMs, request.signal, async (link, qemu): Promise<SessionOutcome> => {
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
      if (booted.ok) return booted.value;
      return { ok: false, status: 'device-error', phase: 'boot', detail: booted.detail, telemetry: emptyTelemetry() };
    },
    async attach<T extends Conversation>(request: AttachRequest, talk: (link: LineLink) => Promise<T>): Promise<AttachOutcome<T>> {
      const started = `QEMU ${board.emulation.qemuMachine} with its UART on a unix socket`;
      const booted = await withQemu(board, request.elfPath, request.timeoutMs, request.signal, async (link, qemu): Promise<AttachOutcome<T>> => {
        const value = await talk(link);
        // A conversation that did not end the firmware's session leaves QEMU running: it is killed.
        if (!value.finished) return { ok: true, value, started, exit: null };
        const ended = await within(qemu.done, EXIT_TIMEOUT_MS);
        const exit =
          ended === undefined
            ? { ok: false, detail: `QEMU did not exit within ${EXIT_TIMEOUT_MS} ms after the end` }
            : { ok: ended.exitCode === 0, detail: ended.exitCode === 0 ? 'QEMU exited with 0' : `QEMU failed: ${failureMessage(ended)}` };
        return { ok: true, value, started, exit };
      });
      return booted.ok ? booted.value : { ok: false, phase: 'boot', status: 'device-error', detail: booted.detail };
    },
  };
}
