// A result row: one benchmark case on one board, as `rig bench` measures it and every consumer
// (the store, comparisons, the report, the command line) reads it. Expected outcomes of a case
// are its status, never exceptions.
import type { Profile } from '../schedule/profile.js';
import type { LatencyUnit } from '../util/units.js';

export type { LatencyUnit, Profile };

/** Where a row was measured: QEMU (latency in emulated instructions) or silicon (CPU cycles). */
export const RUNNER_KINDS = ['qemu', 'hardware'] as const;
export type RunnerKind = (typeof RUNNER_KINDS)[number];

export const RESULT_STATUSES = [
  'ok',
  'mismatch',
  'memory-mismatch',
  'does-not-fit',
  'build-error',
  'timeout',
  'telemetry-error',
  'device-error',
  'wrong-firmware',
  'error',
] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

export interface Latency {
  unit: LatencyUnit;
  n: number;
  min: number;
  median: number;
  max: number;
}

export interface LabAttempt {
  readonly host: string;
  readonly worker: string;
  readonly startedAt: string;
}

/** Where a row ran: the host and worker of its last attempt, its board and probe, every attempt. */
export interface LabInfo {
  readonly host: string;
  readonly worker: string;
  /** 1 for a case that ran at its first try; more when a worker died (or was stopped) under it. */
  readonly attempt: number;
  readonly attempts: readonly LabAttempt[];
  /** The board's probe serial (its ST-LINK), null when emulated. */
  readonly probeSerial: string | null;
  /** The board variant the worker has (nucleo, disco). */
  readonly variant: string;
}

export interface ResultRow {
  runId: number;
  model: string;
  schedule: string;
  /** What shaped the schedule: patch grid and split; empty for layer-wise. */
  scheduleOptions: Record<string, number>;
  board: string;
  runner: RunnerKind;
  status: ResultStatus;
  detail: string | null;
  latency: Latency | null;
  samples: number[];
  memory: {
    plannedArenaBytes: number;
    measuredArenaBytes: number | null;
    stackBytes: number | null;
    flashBytes: number | null;
    /** Bytes of the image in external flash (weights that do not fit the internal flash); absent where it has none. */
    externalFlashBytes?: number | null | undefined;
    staticRamBytes: number | null;
    /** MCUNet / MCUNetV2's analytic metric for the schedule (null in rows stored before it was kept). */
    paperPeakBytes: number | null;
  };
  /** MACs the schedule executes, recomputed halos included. */
  macs: number;
  /** MACs of the same model layer-wise (null in rows stored before it was kept). */
  layerwiseMacs: number | null;
  outputCrc32: string | null;
  referenceCrc32: string;
  /** CRC-32 of the input the firmware holds, as it reports it (null when it reported none, and in rows stored before it was kept). */
  inputCrc32: string | null;
  /** Per-layer latency from the profiling pass (null when not recorded: rows stored before it, failed runs). */
  profile: Profile | null;
  /** The kernel variant the case is built with (`--kernels`); null in rows stored before every row carried it. */
  kernelVariant: string | null;
  firmwareId: string | null;
  seed: number;
  /** Where a case the lab's queue dispatched ran (`rig worker`); absent for a case run by the process that stored it. */
  lab?: LabInfo | null | undefined;
}
