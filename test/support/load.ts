import http from 'node:http';

export interface LoadReport {
  readonly requests: number;
  readonly failures: number;
  readonly failuresByKind: Record<string, number>;
  readonly instances: ReadonlySet<string>;
}

/**
 * Steady concurrent traffic at a URL over keep-alive connections, as browsers keep them to an ALB. Every
 * non-200 answer and every connection error counts as a failed request.
 */
export function startLoad(url: string, concurrency: number, pauseMs = 0): { stop(): Promise<LoadReport> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const failuresByKind: Record<string, number> = {};
  const instances = new Set<string>();
  let requests = 0;
  let running = true;
  const fail = (kind: string): void => {
    failuresByKind[kind] = (failuresByKind[kind] ?? 0) + 1;
  };
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          requests++;
          if (res.statusCode !== 200) fail(`http-${res.statusCode}`);
          const id = /hello from (i-[0-9a-f]+)/.exec(body)?.[1];
          if (id) instances.add(id);
          resolve();
        });
        res.on('error', (err) => {
          requests++;
          fail(err.message);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        requests++;
        fail(err.code ?? err.message);
        resolve();
      });
    });
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      await once();
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      const failures = Object.values(failuresByKind).reduce((a, b) => a + b, 0);
      return { requests, failures, failuresByKind, instances };
    },
  };
}

export async function distinctInstances(url: string, tries: number): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let i = 0; i < tries; i++) {
    const body = await (await fetch(url)).text();
    const id = /hello from (i-[0-9a-f]+)/.exec(body)?.[1];
    if (id) ids.add(id);
  }
  return ids;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
