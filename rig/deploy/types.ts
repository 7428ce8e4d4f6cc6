// The contract every runner (QEMU emulation, openocd hardware) implements: take a linked image,
// run the benchmark conversation, and say in which unit its ticks count.
import type { Board } from '../config/board.js';
import type { LatencyUnit, RunnerKind } from '../results/row.js';
import type { BuildTarget } from '../compile/firmware.js';
import type { Expectation, LineLink, SessionOptions, SessionOutcome } from '../telemetry/session.js';

export interface RunRequest {
  elfPath: string;
  expect: Expectation;
  warmup: number;
  runs: number;
  /** Ask for the output tensor, of this many bytes. */
  outputBytes?: number | undefined;
  /** Longest a single inference (and so the wait between two telemetry lines) may take. */
  inferenceTimeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** An image to start for a conversation of the caller's own (the selftest). */
export interface AttachRequest {
  elfPath: string;
  /** The image's build id: a board that already runs it is not flashed again. */
  fw: string;
  /** Longest the whole conversation may take (bounds the emulator). */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** What a conversation returns; `finished` says it ended the firmware's session (end, then bye). */
export interface Conversation {
  readonly finished: boolean;
}

export type AttachOutcome<T> =
  | {
      ok: true;
      value: T;
      /** How the image came to run: "programmed through openocd", "already running: not flashed", "QEMU …". */
      started: string;
      /** The emulator's exit after a finished conversation (null on silicon, which keeps running). */
      exit: { ok: boolean; detail: string } | null;
    }
  | { ok: false; phase: 'flash' | 'boot'; status: 'timeout' | 'device-error'; detail: string };

export interface Runner {
  readonly kind: RunnerKind;
  readonly board: Board;
  readonly latencyUnit: LatencyUnit;
  /** The timer the firmware must report in its hello line. */
  readonly timer: 'systick' | 'dwt';
  /** Where and how this runner's images are linked. */
  readonly target: BuildTarget;
  /** Ticks as the firmware counted them → latency in `latencyUnit`. */
  toLatency(ticks: number): number;
  run(request: RunRequest): Promise<SessionOutcome>;
  /** Starts an image (flashing it, or booting the emulator) and hands its serial link to `talk`. */
  attach<T extends Conversation>(request: AttachRequest, talk: (link: LineLink) => Promise<T>): Promise<AttachOutcome<T>>;
  /** Tool versions for the run record. */
  versions(signal?: AbortSignal): Promise<Record<string, string>>;
}

/** The telemetry conversation a run request asks for; the runner knows how long its boot takes. */
export function sessionOptions(request: RunRequest, helloTimeoutMs: number): SessionOptions {
  return {
    warmup: request.warmup,
    runs: request.runs,
    outputBytes: request.outputBytes,
    expect: request.expect,
    helloTimeoutMs,
    lineTimeoutMs: request.inferenceTimeoutMs,
    signal: request.signal,
  };
}
