import http from 'node:http';

export interface Sample {
  /** When the request ended (Date.now()). */
  readonly at: number;
  readonly latencyMs: number;
  readonly ok: boolean;
}

export interface TimedLoad {
  /** Stops the clients and returns every request's sample. */
  stop(): Promise<Sample[]>;
}

/**
 * Concurrent keep-alive clients hitting a URL back to back, recording each request's latency and whether it
 * was a 200 (any other status, a reset or a timeout is a failed request).
 */
export function startTimedLoad(url: string, concurrency: number): TimedLoad {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const samples: Sample[] = [];
  let running = true;
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const started = performance.now();
      const done = (ok: boolean): void => {
        samples.push({ at: Date.now(), latencyMs: performance.now() - started, ok });
        resolve();
      };
      const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode === 200));
        res.on('error', () => done(false));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => done(false));
    });
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) await once();
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return samples;
    },
  };
}

export function between(samples: readonly Sample[], from: number, to = Infinity): Sample[] {
  return samples.filter((s) => s.at >= from && s.at < to);
}
