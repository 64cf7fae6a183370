import { DescribeInstancesCommand, ModifySpotFleetRequestCommand } from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { distinctInstances, startLoad } from '../support/load.js';
import { waitFor } from '../../harness/wait-for.js';

// 0.05: the two-minute warning and the 120 s drain take 6 s, health checks run every 0.5 s.
const TIME_SCALE = 0.05;
const CONCURRENCY = 10;
// Each client pauses between requests (~300 requests/s in all): steady traffic that leaves the one event loop
// shared by clients, ALB and health checks room to breathe on a loaded 2-core CI machine.
const PAUSE_MS = 30;
// The load here is thousands of requests a second; with the default target value the autoscaler would (rightly)
// scale the fleet out in the middle of the interruption. Autoscaling has its own test below.
const NO_SCALE_OUT = { requestsPerTarget: '1000000' };

async function registeredInMoto(cloud: LocalCloud): Promise<string[]> {
  const out = await cloud.clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: cloud.targetGroupArn }));
  return (out.TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.State !== 'draining').map((d) => d.Target!.Id!);
}

async function setCapacity(cloud: LocalCloud, capacity: number): Promise<void> {
  await cloud.clients.ec2.send(new ModifySpotFleetRequestCommand({ SpotFleetRequestId: cloud.fleetRequestId, TargetCapacity: capacity }));
}

interface InterruptionRun {
  readonly interrupted: string;
  readonly failures: number;
  readonly requests: number;
  readonly failuresByKind: Record<string, number>;
  /** The interrupted target left the ALB by deregistration (draining), not by failing health checks. */
  readonly drained: boolean;
  readonly deregisteredBeforeTermination: boolean;
}

/** Reduces the fleet 2 → 1 under concurrent load and follows the interrupted instance until it is gone. */
async function interruptUnderLoad(cloud: LocalCloud): Promise<InterruptionRun> {
  const since = Date.now();
  const warned = new Promise<{ instanceId: string; reason?: string }>((resolve) => cloud.fleet.once('warned', resolve));
  const load = startLoad(cloud.url, CONCURRENCY, PAUSE_MS);
  await new Promise((r) => setTimeout(r, 1000));
  await setCapacity(cloud, 1);
  const warning = await warned;
  const interrupted = warning.instanceId;
  // The log says why the Spot service reclaims it: the fleet's own decision, with the counts it decided on.
  expect(warning.reason).toBe('excess capacity: 2 active for target capacity 1');
  const terminated = new Promise<void>((resolve) =>
    cloud.fleet.on('terminated', (t) => t.instanceId === interrupted && resolve()),
  );
  let deregisteredBeforeTermination = false;
  const watchMoto = (async () => {
    const inFleet = (): boolean => cloud.fleet.instances().some((i) => i.instanceId === interrupted);
    while (inFleet()) {
      const registered = await registeredInMoto(cloud);
      // Counted only if the instance was still running when moto answered: termination also deregisters.
      if (!registered.includes(interrupted) && inFleet()) deregisteredBeforeTermination = true;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await terminated;
  await watchMoto;
  await new Promise((r) => setTimeout(r, 1000));
  const report = await load.stop();
  const exit = cloud.targetChanges.find((c) => c.at >= since && c.id === interrupted && (c.to === 'draining' || c.to === 'removed'));
  return {
    interrupted,
    failures: report.failures,
    requests: report.requests,
    failuresByKind: report.failuresByKind,
    drained: exit !== undefined && (exit.to === 'draining' || exit.from === 'healthy'),
    deregisteredBeforeTermination,
  };
}

describe('local cloud, end to end', () => {
  const clouds: LocalCloud[] = [];
  afterAll(async () => {
    for (const cloud of clouds) await cloud.close();
  });

  it('serves, drains an interrupted instance with zero failed requests, and replaces capacity', async () => {
    const cloud = await startLocalCloud({ port: 0, timeScale: TIME_SCALE, workDir: '.local-cloud/e2e-handler', context: NO_SCALE_OUT,
      // The instance's own watcher would also take it out (after two failed health checks); off, the handler alone must.
      spotWatcher: false,
    });
    clouds.push(cloud);
    await waitFor('two healthy targets', () => cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').length >= 2, 20_000);
    expect((await distinctInstances(cloud.url, 10)).size).toBeGreaterThanOrEqual(2);
    const status = (await (await fetch(`${cloud.endpoint}/_local/status`)).json()) as { fleet: { requestId: string; instances: unknown[] }; targets: unknown[] };
    expect(status.fleet.requestId).toBe(cloud.fleetRequestId);
    expect(status.fleet.instances).toHaveLength(2);
    expect(status.targets).toHaveLength(2);

    const run = await interruptUnderLoad(cloud);
    console.log(`handler on: ${run.requests} requests, ${run.failures} failed`, run.failuresByKind);
    expect(run.failures).toBe(0);
    expect(run.requests).toBeGreaterThan(100);
    // The warning reached the handler, which took the instance out of the target group in moto before the reclaim.
    expect(run.deregisteredBeforeTermination).toBe(true);
    expect(cloud.deliveries.some((d) => d.targetArn.includes(':function:') && d.result.status === 'delivered')).toBe(true);
    // The ALB drained it, then it was terminated in moto.
    expect(run.drained).toBe(true);
    const described = await cloud.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [run.interrupted] }));
    expect(described.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('terminated');
    // A human was told.
    await waitFor('the SNS notification', () => cloud.notifications.find((n) => n.message.includes(run.interrupted)), 5_000);
    // The fleet holds at 1.
    await new Promise((r) => setTimeout(r, 1500));
    expect(cloud.fleet.capacity).toBe(1);
    expect(cloud.fleet.instances().map((i) => i.instanceId)).not.toContain(run.interrupted);
    expect(cloud.fleet.instances()).toHaveLength(1);

    // Raising capacity brings a new instance into service.
    const before = new Set(cloud.fleet.instances().map((i) => i.instanceId));
    await setCapacity(cloud, 2);
    const joined = await waitFor(
      'a new healthy instance',
      () => cloud.loadBalancer.targets().find((t) => t.state === 'healthy' && !before.has(t.id))?.id,
      20_000,
    );
    expect((await distinctInstances(cloud.url, 10)).has(joined)).toBe(true);
  });

  it('without the handler and the instance watcher, the same interruption fails requests (what the handler prevents)', async () => {
    const cloud = await startLocalCloud({ port: 0, timeScale: TIME_SCALE, handler: false, spotWatcher: false, workDir: '.local-cloud/e2e-naive', context: NO_SCALE_OUT });
    clouds.push(cloud);
    await waitFor('two healthy targets', () => cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').length >= 2, 20_000);
    const run = await interruptUnderLoad(cloud);
    console.log(`handler off: ${run.requests} requests, ${run.failures} failed`, run.failuresByKind);
    expect(run.deregisteredBeforeTermination).toBe(false);
    expect(run.failures).toBeGreaterThan(0);
  });

  it('scales the fleet out when requests per target exceed the target value', async () => {
    const cloud = await startLocalCloud({ port: 0, timeScale: TIME_SCALE, workDir: '.local-cloud/e2e-scaling', context: { requestsPerTarget: '600', maxCapacity: '4' } });
    clouds.push(cloud);
    await waitFor('two healthy targets', () => cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').length >= 2, 20_000);
    const load = startLoad(cloud.url, 4);
    // Three datapoints above the target (3 compressed minutes = 9 s) trigger a scale-out, capped at maxCapacity.
    await waitFor('capacity 4', () => cloud.fleet.capacity === 4, 30_000);
    await waitFor('four healthy targets', () => cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').length === 4, 20_000);
    const report = await load.stop();
    expect(report.failures).toBe(0);
  });
});
