// How every table, report and export names a latency unit: an emulator's count is never a time.
export type LatencyUnit = 'instructions' | 'cycles';

export function unitLabel(unit: LatencyUnit): string {
  return unit === 'instructions' ? 'instructions (emulated)' : 'cycles';
}

/** The unit each runner's latencies are in: QEMU counts instructions, silicon CPU cycles. */
export const RUNNER_UNIT: Readonly<Record<'qemu' | 'hardware', LatencyUnit>> = { qemu: 'instructions', hardware: 'cycles' };
