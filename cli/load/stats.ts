import type { RequestOutcome } from './request.js';

export interface LoadSummary {
  readonly url: string;
  readonly durationMs: number;
  readonly requests: number;
  readonly succeeded: number;
  readonly failures: number;
  readonly failuresByKind: Readonly<Record<string, number>>;
  /** Ticks not sent because `concurrency` requests were already in flight (the target is slower than the rate). */
  readonly skipped: number;
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  readonly instances: readonly string[];
}

/** Nearest-rank percentile of ascending samples; 0 when there are none. */
export function percentile(sortedAscending: readonly number[], p: number): number {
  if (sortedAscending.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sortedAscending.length);
  return sortedAscending[Math.min(sortedAscending.length, Math.max(1, rank)) - 1]!;
}

/** Accumulates outcomes; `summary()` is a snapshot usable for the live line and the final report. */
export class LoadTally {
  private readonly latencies: number[] = [];
  private readonly failuresByKind: Record<string, number> = {};
  private readonly instances = new Set<string>();
  private failures = 0;
  skipped = 0;

  record(outcome: RequestOutcome): void {
    this.latencies.push(outcome.latencyMs);
    if (outcome.instanceId) this.instances.add(outcome.instanceId);
    if (outcome.failure) {
      this.failures++;
      this.failuresByKind[outcome.failure] = (this.failuresByKind[outcome.failure] ?? 0) + 1;
    }
  }

  get requests(): number {
    return this.latencies.length;
  }

  summary(url: string, durationMs: number): LoadSummary {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const round = (ms: number): number => Math.round(ms * 10) / 10;
    return {
      url,
      durationMs: Math.round(durationMs),
      requests: sorted.length,
      succeeded: sorted.length - this.failures,
      failures: this.failures,
      failuresByKind: { ...this.failuresByKind },
      skipped: this.skipped,
      latencyMs: { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0) },
      instances: [...this.instances].sort(),
    };
  }
}
