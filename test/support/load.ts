import { instanceOfPage, keepAliveAgent, sendRequest } from '../../cli/load/request.js';

export interface LoadReport {
  readonly requests: number;
  readonly failures: number;
  readonly failuresByKind: Record<string, number>;
  readonly instances: ReadonlySet<string>;
}

/**
 * Steady concurrent traffic at a URL (closed loop: each worker sends again as soon as it has an answer), with
 * the CLI's request and failure classification: every non-200 answer and every connection error is a failure.
 */
export function startLoad(url: string, concurrency: number, pauseMs = 0): { stop(): Promise<LoadReport> } {
  const agent = keepAliveAgent(url, concurrency);
  const failuresByKind: Record<string, number> = {};
  const instances = new Set<string>();
  let requests = 0;
  let running = true;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      const outcome = await sendRequest(url, agent, 10_000);
      requests++;
      if (outcome.instanceId) instances.add(outcome.instanceId);
      if (outcome.failure) failuresByKind[outcome.failure] = (failuresByKind[outcome.failure] ?? 0) + 1;
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
    const id = instanceOfPage(await (await fetch(url)).text());
    if (id) ids.add(id);
  }
  return ids;
}
