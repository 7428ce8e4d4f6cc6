// Arithmetic and checks shared by several operator modules. Pure.
import { clamp, multiplyByQuantizedMultiplier } from '../model/quant.js';
import type { Requant } from '../model/tensor.js';

/** The int32 accumulator of one output channel, scaled and clamped as the C kernels do. */
export function requantize(acc: number, rq: Requant, channel: number, outZp: number): number {
  // `| 0` wraps like the C kernels' int32 accumulator would.
  const scaled = multiplyByQuantizedMultiplier(acc | 0, rq.multiplier[channel]!, rq.shift[channel]!);
  return clamp(scaled + outZp, rq.actMin, rq.actMax);
}

/** Problems with a per-channel requantization of `channels` outputs. */
export function checkRequant(rq: Requant, channels: number): string[] {
  const problems: string[] = [];
  for (const [name, a] of [
    ['bias', rq.bias],
    ['multiplier', rq.multiplier],
    ['shift', rq.shift],
  ] as const) {
    if (a.length !== channels) problems.push(`${name}: expected ${channels} values (one per output channel), found ${a.length}`);
  }
  problems.push(...checkActivationRange(rq.actMin, rq.actMax));
  return problems;
}

export function checkActivationRange(actMin: number, actMax: number): string[] {
  return Number.isInteger(actMin) && Number.isInteger(actMax) && -128 <= actMin && actMin <= actMax && actMax <= 127
    ? []
    : [`activation range: expected -128 <= min <= max <= 127, found [${actMin}, ${actMax}]`];
}

/** What an operator without weights counts: no MACs (the papers count none for pools, adds and activations), no parameters, no weight bytes, no scratch when in place. */
export const WEIGHTLESS = {
  macsPerOutputPixel: () => 0,
  params: () => 0,
  weightBytes: () => 0,
  inPlaceScratchBytes: () => 0,
} as const;
