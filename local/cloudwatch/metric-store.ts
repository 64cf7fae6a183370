/**
 * The local cloud's CloudWatch metrics: datapoints as AWS services publish them (a namespace, a metric name,
 * dimensions, a value at a time), and the statistics an alarm asks of one period. Times are simulated epoch ms.
 */

export interface MetricId {
  readonly namespace: string;
  readonly metricName: string;
  /** Name → value; order does not matter, as in CloudWatch. */
  readonly dimensions: Readonly<Record<string, string>>;
}

/** The statistics CloudWatch computes from raw datapoints (percentiles are not played locally). */
export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export type Statistic = (typeof STATISTICS)[number];

interface Datapoint {
  readonly at: number;
  readonly value: number;
}

export function metricKey(id: MetricId): string {
  const dims = Object.entries(id.dimensions)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${id.namespace}|${id.metricName}|${dims}`;
}

export class MetricStore {
  private readonly series = new Map<string, Datapoint[]>();

  /** @param retentionMs how far back datapoints are kept (simulated ms); alarms look back at most a day. */
  constructor(private readonly retentionMs = 24 * 60 * 60 * 1000) {}

  put(id: MetricId, value: number, at: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`metric ${metricKey(id)}: value must be finite, got ${value}`);
    const key = metricKey(id);
    let points = this.series.get(key);
    if (!points) this.series.set(key, (points = []));
    points.push({ at, value });
    const horizon = at - this.retentionMs;
    while (points.length > 0 && points[0]!.at < horizon) points.shift();
  }

  /** The statistic over datapoints with `start <= at < end`; undefined when there are none (missing data). */
  statistic(id: MetricId, stat: Statistic, start: number, end: number): number | undefined {
    const values = (this.series.get(metricKey(id)) ?? []).filter((p) => p.at >= start && p.at < end).map((p) => p.value);
    if (values.length === 0) return undefined;
    switch (stat) {
      case 'SampleCount':
        return values.length;
      case 'Sum':
        return values.reduce((a, b) => a + b, 0);
      case 'Average':
        return values.reduce((a, b) => a + b, 0) / values.length;
      case 'Minimum':
        return Math.min(...values);
      case 'Maximum':
        return Math.max(...values);
    }
  }

  /** Every metric with datapoints, for a status view. */
  metrics(): string[] {
    return [...this.series.keys()];
  }
}
