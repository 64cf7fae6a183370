/** Nearest-rank percentile of a sample (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of an empty sample');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export const ms = (value: number) => `${value.toFixed(1)} ms`;
export const ratio = (ours: number, baseline: number) => `${(ours / baseline).toFixed(2)}x`;

/** A percentile for a table cell: '-' for an empty sample (e.g. every event missed). */
export const msAt = (values: readonly number[], p: number) => (values.length === 0 ? '-' : ms(percentile(values, p)));
