// Summary statistics for measurements.

/** The median of values in ascending order (the mean of the middle two for an even count). */
export function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median of values in any order. */
export const medianOf = (values: readonly number[]): number => median([...values].sort((a, b) => a - b));

/** The geometric mean of positive values. */
export const geomean = (xs: readonly number[]): number => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
