/**
 * Counts events in time buckets over a bounded past, so "how many since t" costs the same at 10 or 10,000
 * requests a second. Counts are exact to one bucket: the bucket holding `since` counts whole.
 */
export class RequestLog {
  private readonly bucketIds: Float64Array;
  private readonly counts: Uint32Array;

  constructor(
    private readonly bucketMs = 100,
    retentionMs = 15 * 60_000,
  ) {
    if (!(bucketMs > 0) || !(retentionMs >= bucketMs)) {
      throw new RangeError(`RequestLog needs bucketMs > 0 and retentionMs >= bucketMs (got ${bucketMs}, ${retentionMs})`);
    }
    const slots = Math.ceil(retentionMs / bucketMs) + 1;
    this.bucketIds = new Float64Array(slots).fill(-1);
    this.counts = new Uint32Array(slots);
  }

  add(atMs: number): void {
    const id = Math.floor(atMs / this.bucketMs);
    const slot = id % this.counts.length;
    if (this.bucketIds[slot] !== id) {
      this.bucketIds[slot] = id;
      this.counts[slot] = 0;
    }
    this.counts[slot] += 1;
  }

  /** Events from `sinceMs` up to `untilMs` (both epoch ms); older than the retention counts nothing. */
  count(sinceMs: number, untilMs: number): number {
    const first = Math.floor(sinceMs / this.bucketMs);
    const last = Math.floor(untilMs / this.bucketMs);
    let total = 0;
    for (let slot = 0; slot < this.counts.length; slot++) {
      const id = this.bucketIds[slot];
      if (id >= first && id <= last) total += this.counts[slot];
    }
    return total;
  }
}
