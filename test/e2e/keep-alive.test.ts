// Keep-alive between the load balancer and the app, with a control group: the instance app as the user data runs it
// fails no request across idle gaps; the same app with Node's default keep-alive does fail some, through the local
// ALB, in the same run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepAliveAgent, sendRequest } from '../../cli/load/request.js';
import { LocalLoadBalancer } from '../../local/alb/index.js';
import { SimulatedClock } from '../../local/clock.js';
import { localAppEnvironment } from '../../local/instances/app-environment.js';
import { InstanceHost } from '../../local/instances/instance-host.js';
import { bundleInstanceApp } from '../../userdata/bundle.js';
import { extractAppBundle, extractAppEnvironment, renderUserData } from '../../userdata/render.js';
import { waitFor } from '../../harness/wait-for.js';

// The local cloud scales the ALB's idle timeout and the app's timeouts alike (60 s → 15 s, 65 s → 16.25 s). Node's
// own 5 s default is Node's, not the stack's, so nothing scales it: the gaps below must stay above it and below the
// scaled idle timeout, or the load balancer would close the connections first and the control group could not fail.
const CLOCK = new SimulatedClock(0.25);
const IDLE_TIMEOUT_SECONDS = 60;
// Node's defaults (server.keepAliveTimeout, server.headersTimeout), as an app that never sets them runs.
const NODE_DEFAULTS = { KEEP_ALIVE_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '60000' };
// Node 20 closes an idle connection about keepAliveTimeout + 1 s after its last answer (measured; it adds a second
// so that clients honouring its Keep-Alive hint close first, and ALB honours no hint). The close fails a request only
// when the load balancer reuses the connection within milliseconds of it, and on a busy machine timers drift by tens:
// so the bursts are tried after several gaps at once, one per load balancer node (each with its own connections to
// the target, as ALB's nodes have), straddling the close, twice (10 ms later the second time). Every gap is above
// Node's 5 s default. Measured on a loaded 2-core machine: 57-145 of ~600 requests failed in the control group.
const GAPS_MS = [5_920, 5_940, 5_960, 5_980, 6_000, 6_020, 6_040, 6_060];
const CYCLES = 2;
const CONCURRENCY = 25;
const BURST_MS = 250;
// The burst's clients stop one after the other, so the connections fall idle (and the target closes them) spread
// over ~75 ms rather than all in the same millisecond: the next burst then meets some just as they close.
const STOP_STAGGER_MS = 3;

interface Group {
  readonly host: InstanceHost;
  readonly nodes: ReadonlyArray<{ readonly lb: LocalLoadBalancer; readonly url: string; readonly gapMs: number }>;
}

interface Outcome {
  readonly requests: number;
  readonly failures: number;
  readonly failuresByKind: Record<string, number>;
  readonly elb502: number;
}

const scratch = mkdtempSync(join(tmpdir(), 'spotweb-keepalive-'));
const groups: Group[] = [];

async function startGroup(name: string, appPath: string, environment: Record<string, string>, idleTimeoutMs: number): Promise<Group> {
  const instanceId = name === 'shipped' ? 'i-0a00000000000000a' : 'i-0b00000000000000b';
  const host = new InstanceHost({
    identity: { instanceId, availabilityZone: 'us-east-1a', instanceType: 't3.small', lifecycle: 'spot' },
    appPath,
    spotPollIntervalMs: 5_000,
    spotWatcher: false,
    environment,
  });
  const nodes: Array<Group['nodes'][number]> = [];
  groups.push({ host, nodes });
  await host.start();
  for (const gapMs of GAPS_MS) {
    const lb = new LocalLoadBalancer({
      port: 0,
      // Checks far apart: this test is about requests, and the first check makes the target healthy.
      healthCheck: { path: '/health', intervalMs: 60_000, timeoutMs: 5_000, healthyThreshold: 1, unhealthyThreshold: 2, matcher: '200' },
      deregistrationDelayMs: 0,
      idleTimeoutMs,
      resolveTarget: (id) => (id === instanceId ? host.address : undefined),
    });
    const url = await lb.start();
    nodes.push({ lb, url, gapMs });
    lb.register(instanceId);
  }
  await waitFor(`${name} target healthy`, () => nodes.every((n) => n.lb.targets()[0]?.state === 'healthy'), 15_000);
  return { host, nodes };
}

/** Bursts of concurrent requests at one load balancer node, `gapMs` of silence between them. */
async function burstsWithGaps(url: string, gapMs: number): Promise<Omit<Outcome, 'elb502'>> {
  const agent = keepAliveAgent(url, CONCURRENCY);
  const failuresByKind: Record<string, number> = {};
  let requests = 0;
  try {
    for (let cycle = 0; cycle <= CYCLES; cycle++) {
      const firstStop = Date.now() + BURST_MS;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, client) => {
          const stopAt = firstStop + client * STOP_STAGGER_MS;
          do {
            const outcome = await sendRequest(url, agent, 10_000);
            requests++;
            if (outcome.failure) failuresByKind[outcome.failure] = (failuresByKind[outcome.failure] ?? 0) + 1;
          } while (Date.now() < stopAt);
        }),
      );
      if (cycle === CYCLES) break;
      // From the end of the burst: the last connection fell idle just now, the others over the stagger before.
      await new Promise((resolve) => setTimeout(resolve, gapMs + cycle * 10));
    }
  } finally {
    agent.destroy();
  }
  const failures = Object.values(failuresByKind).reduce((a, b) => a + b, 0);
  return { requests, failures, failuresByKind };
}

async function runGroup(group: Group): Promise<Outcome> {
  const outcomes = await Promise.all(group.nodes.map((n) => burstsWithGaps(n.url, n.gapMs)));
  const failuresByKind: Record<string, number> = {};
  for (const o of outcomes) for (const [kind, n] of Object.entries(o.failuresByKind)) failuresByKind[kind] = (failuresByKind[kind] ?? 0) + n;
  return {
    requests: outcomes.reduce((a, o) => a + o.requests, 0),
    failures: outcomes.reduce((a, o) => a + o.failures, 0),
    failuresByKind,
    elb502: group.nodes.reduce((a, n) => a + n.lb.counters().elb502, 0),
  };
}

describe('keep-alive between the local ALB and the instance app', () => {
  let shipped: Group;
  let control: Group;
  let shippedEnvironment: Record<string, string>;

  beforeAll(async () => {
    const userData = renderUserData({ appPort: 8000, appBundle: bundleInstanceApp(), loadBalancerIdleTimeoutSeconds: IDLE_TIMEOUT_SECONDS });
    const appPath = join(scratch, 'instance-app.cjs');
    writeFileSync(appPath, extractAppBundle(userData));
    const idleTimeoutMs = CLOCK.toReal(IDLE_TIMEOUT_SECONDS * 1000);
    // Exactly as the local cloud starts an instance: the unit's environment, on the local time scale.
    shippedEnvironment = localAppEnvironment(extractAppEnvironment(userData), CLOCK);
    [shipped, control] = await Promise.all([
      startGroup('shipped', appPath, shippedEnvironment, idleTimeoutMs),
      startGroup('control', appPath, { ...shippedEnvironment, ...NODE_DEFAULTS }, idleTimeoutMs),
    ]);
  });

  afterAll(async () => {
    for (const group of groups) {
      for (const node of group.nodes) await node.lb.close();
      await group.host.stop(false);
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  it('the app as shipped fails nothing across idle gaps; with Node\'s default keep-alive it gets 502s (control)', async () => {
    const idleTimeoutMs = CLOCK.toReal(IDLE_TIMEOUT_SECONDS * 1000);
    expect(Number(shippedEnvironment.KEEP_ALIVE_TIMEOUT_MS)).toBeGreaterThan(idleTimeoutMs);
    expect(Math.min(...GAPS_MS)).toBeGreaterThan(Number(NODE_DEFAULTS.KEEP_ALIVE_TIMEOUT_MS));
    expect(Math.max(...GAPS_MS)).toBeLessThan(idleTimeoutMs);

    const [asShipped, nodeDefault] = await Promise.all([runGroup(shipped), runGroup(control)]);
    console.info(
      `keep-alive, ${GAPS_MS.length} gaps × ${CYCLES}: as shipped ${asShipped.failures}/${asShipped.requests} failed; ` +
        `Node's default ${nodeDefault.failures}/${nodeDefault.requests} failed`,
      nodeDefault.failuresByKind,
    );
    expect(asShipped.failuresByKind).toEqual({});
    expect(asShipped.requests).toBeGreaterThan(GAPS_MS.length * (CYCLES + 1) * CONCURRENCY - 1);
    // The control group: the load balancer reused connections the app had just closed, and answered 502 (no retry).
    expect(nodeDefault.failures).toBeGreaterThan(0);
    expect(Object.keys(nodeDefault.failuresByKind)).toEqual(['http-502']);
    expect(nodeDefault.elb502).toBe(nodeDefault.failures);
  });
});
