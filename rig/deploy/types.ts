// The contract every runner (QEMU emulation, openocd hardware) implements: take a linked image,
// run the benchmark conversation, and say in which unit its ticks count.
import type { Board } from '../config/board.js';
import type { LatencyUnit, RunnerKind } from '../store/db.js';
import type { BuildTarget } from '../compile/firmware.js';
import type { Expectation, SessionOptions, SessionOutcome } from '../telemetry/session.js';

export interface RunRequest {
  elfPath: string;
  expect: Expectation;
  warmup: number;
  runs: number;
  /** Longest a single inference (and so the wait between two telemetry lines) may take. */
  inferenceTimeoutMs: number;
  signal?: AbortSignal | undefined;
}

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
  /** Tool versions for the run record. */
  versions(signal?: AbortSignal): Promise<Record<string, string>>;
}

/** The telemetry conversation a run request asks for; the runner knows how long its boot takes. */
export function sessionOptions(request: RunRequest, helloTimeoutMs: number): SessionOptions {
  return {
    warmup: request.warmup,
    runs: request.runs,
    expect: request.expect,
    helloTimeoutMs,
    lineTimeoutMs: request.inferenceTimeoutMs,
    signal: request.signal,
  };
}
