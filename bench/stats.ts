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

/** One figure over the runs: median, min and max; undefined when a run lacks it (a '-' in the table). */
export function overRuns(values: ReadonlyArray<number | undefined>): { median: number; min: number; max: number } | undefined {
  const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (known.length === 0 || known.length < values.length) return undefined;
  return { median: median(known), min: Math.min(...known), max: Math.max(...known) };
}

/** A README table cell for a figure over the runs: `median (min–max)`, or the one value of a single run. */
export function runsCell(values: ReadonlyArray<number | undefined>, unit: (value: number) => string): string {
  const s = overRuns(values);
  if (s === undefined) return '-';
  return values.length === 1 ? unit(s.median) : `${unit(s.median)} (${unit(s.min)}–${unit(s.max)})`;
}

export const msCell = (value: number) => `${value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US')} ms`;
export const ratioCell = (value: number) => `${value.toFixed(2)}×`;
