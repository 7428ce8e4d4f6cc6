// openocd: programs a board's flash through its ST-LINK and resets it. Every call is bounded by a
// timeout, follows the run's AbortSignal, and keeps openocd's output for the error message.
import type { Board } from '../config/board.js';
import { failureMessage, runTool } from '../proc/run.js';

export const OPENOCD = 'openocd';
export const OPENOCD_HINT = 'install it with ./scripts/setup.sh, or: apt-get install --no-install-recommends openocd';
const PROGRAM_TIMEOUT_MS = 90_000;
const RESET_TIMEOUT_MS = 20_000;

export type OpenocdFailure = 'no-probe' | 'verify-failed' | 'timeout' | 'error';

export type OpenocdOutcome = { ok: true; log: string } | { ok: false; failure: OpenocdFailure; detail: string; log: string };

/** A Tcl word: braces keep spaces and brackets in a path literal. */
const tclWord = (s: string) => `{${s.replace(/[{}\\]/g, '\\$&')}}`;

/** Arguments for one openocd session: the variant's board configuration, the probe, then the commands. */
export function openocdArgs(board: Board, variant: string, probeSerial: string | null, commands: readonly string[]): string[] {
  const config = board.variants[variant]!.openocdConfig;
  return ['-f', config, ...(probeSerial === null ? [] : ['-c', `adapter serial ${tclWord(probeSerial)}`]), ...commands.flatMap((c) => ['-c', c])];
}

/** What went wrong, from openocd's own words (it prints everything on stderr). */
export function classifyOpenocd(log: string): OpenocdFailure {
  if (/open failed|no (?:device|st-?link) found|unable to find|could not find|LIBUSB_ERROR_NO_DEVICE|No J-Link|init mode failed/i.test(log)) return 'no-probe';
  if (/verif(?:y|ication) failed|checksum mismatch|contents differ/i.test(log)) return 'verify-failed';
  return 'error';
}

async function session(
  board: Board,
  variant: string,
  probeSerial: string | null,
  commands: string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<OpenocdOutcome> {
  const r = await runTool(OPENOCD, openocdArgs(board, variant, probeSerial, commands), { timeoutMs, signal, installHint: OPENOCD_HINT });
  const log = `$ ${r.command}\n${r.stdout}${r.stderr}`;
  if (r.canceled) throw signal?.reason ?? new Error('openocd canceled');
  if (r.timedOut) return { ok: false, failure: 'timeout', detail: `openocd failed: ${failureMessage(r)}`, log };
  if (r.exitCode !== 0) {
    const failure = classifyOpenocd(r.stdout + r.stderr);
    const what = failure === 'no-probe' ? 'found no probe' : failure === 'verify-failed' ? 'could not verify the flash' : 'failed';
    return { ok: false, failure, detail: `openocd ${what}: ${failureMessage(r)}`, log };
  }
  return { ok: true, log };
}

/** Writes the image, verifies it and starts it. */
export function programBoard(board: Board, variant: string, elfPath: string, probeSerial: string | null, signal?: AbortSignal): Promise<OpenocdOutcome> {
  return session(board, variant, probeSerial, [`program ${tclWord(elfPath)} verify reset exit`], PROGRAM_TIMEOUT_MS, signal);
}

/** Restarts the firmware already in flash (after a hang). */
export function resetBoard(board: Board, variant: string, probeSerial: string | null, signal?: AbortSignal): Promise<OpenocdOutcome> {
  return session(board, variant, probeSerial, ['init', 'reset run', 'shutdown'], RESET_TIMEOUT_MS, signal);
}
