// Published figures as their sources print them. The MCUNet zoo and MCUNetV2 round MACs and
// params to millions; msf-CNN gives exact counts. Tables show a rounded figure as printed
// (6.4M), beside the rig's exact count, and say when that count rounds to it.
import type { Published } from '../model/published.js';
import { formatInt } from '../util/format.js';

export type PublishedQuantity = 'macs' | 'params';

/** Decimals of the millions each source prints; a source or quantity not named is exact. */
const PRINTED_MILLIONS: Readonly<Record<string, Partial<Record<PublishedQuantity, number>>>> = {
  'MCUNet model zoo': { macs: 1, params: 2 },
  'MCUNetV2 Table 1': { macs: 0 },
};

export interface PrintedFigure {
  /** The figure as a count (6.4M is 6,400,000). */
  readonly value: number;
  /** As the source prints it: `6.4M`, or `18,909,490` when exact. */
  readonly text: string;
  /** Decimals of the millions it was rounded to; null when exact. */
  readonly millionsDigits: number | null;
}

/** A published MAC or parameter count as printed, or null when the source gives none. */
export function printedFigure(p: Published | undefined, quantity: PublishedQuantity): PrintedFigure | null {
  const value = p?.[quantity];
  if (p === undefined || value === undefined) return null;
  const digits = PRINTED_MILLIONS[p.source]?.[quantity];
  if (digits === undefined) return { value, text: formatInt(value), millionsDigits: null };
  return { value, text: `${(value / 1e6).toFixed(digits)}M`, millionsDigits: digits };
}

/** Whether an exact count prints as the published figure: the same rounding gives the same text. */
export function withinRounding(count: number, figure: PrintedFigure): boolean {
  if (figure.millionsDigits === null) return count === figure.value;
  return (count / 1e6).toFixed(figure.millionsDigits) === (figure.value / 1e6).toFixed(figure.millionsDigits);
}
