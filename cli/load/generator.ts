import { keepAliveAgent, sendRequest } from './request.js';
import { LoadTally, type LoadSummary } from './stats.js';

export interface LoadOptions {
  readonly url: string;
  /** Requests per second, started on schedule whether or not earlier ones have answered (open loop). */
  readonly rate: number;
  readonly durationMs: number;
  /** Most requests in flight at once; a tick that finds them all busy is skipped and counted. */
  readonly concurrency: number;
  /** @default 10000 */
  readonly timeoutMs?: number;
  /** Called about every `progressEveryMs` with the figures so far. */
  readonly onProgress?: (sofar: LoadSummary) => void;
  /** @default 250 */
  readonly progressEveryMs?: number;
  /** Ends the run early (Ctrl-C); the summary covers what was sent. */
  readonly signal?: AbortSignal;
}

/**
 * Open-loop load: request n starts at `n / rate` seconds, so a slow or failing target cannot slow the
 * offered load down and hide failures (a closed loop would send fewer requests exactly when it matters).
 */
export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const { url, rate, durationMs, concurrency } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const agent = keepAliveAgent(url, concurrency);
  const tally = new LoadTally();
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  const progress = options.onProgress
    ? setInterval(() => options.onProgress!(tally.summary(url, elapsed())), options.progressEveryMs ?? 250)
    : undefined;
  try {
    const total = Math.floor((rate * durationMs) / 1000);
    for (let n = 0; n < total && !options.signal?.aborted; n++) {
      const due = (n * 1000) / rate - elapsed();
      if (due > 0) await new Promise((r) => setTimeout(r, due));
      if (options.signal?.aborted) break;
      if (inFlight.size >= concurrency) {
        tally.skipped++;
        continue;
      }
      const request = sendRequest(url, agent, timeoutMs).then((outcome) => {
        tally.record(outcome);
        inFlight.delete(request);
      });
      inFlight.add(request);
    }
    await Promise.all(inFlight);
  } finally {
    clearInterval(progress);
    agent.destroy();
  }
  return tally.summary(url, elapsed());
}
