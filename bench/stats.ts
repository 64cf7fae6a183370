import { percentile as percentileOfSorted } from '../cli/load/stats.js';

/** Nearest-rank percentile of an unsorted sample (p in 0..100); an empty sample is a bench bug, not a zero. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of an empty sample');
  return percentileOfSorted([...values].sort((a, b) => a - b), p);
}

export const median = (values: readonly number[]) => percentile(values, 50);

export const ms = (value: number) => `${value.toFixed(1)} ms`;
export const ratio = (ours: number, baseline: number) => `${(ours / baseline).toFixed(2)}x`;

/** A percentile for a table cell: '-' for an empty sample (e.g. every event missed). */
export const msAt = (values: readonly number[], p: number) => (values.length === 0 ? '-' : ms(percentile(values, p)));
