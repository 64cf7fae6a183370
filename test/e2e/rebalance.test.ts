// A rebalance recommendation with drainOnRebalance: the handler drains the instance, capacity rebalancing launches
// its replacement and terminates it once the termination delay (which covers the drain) is over.
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { startLoad } from '../support/load.js';
import { waitFor } from '../../harness/wait-for.js';

// 0.05: the 120 s drain takes 6 s, the 180 s termination delay 9 s.
const TIME_SCALE = 0.05;
const NO_SCALE_OUT = { requestsPerTarget: '1000000' };

async function stateOf(cloud: LocalCloud, instanceId: string): Promise<string | undefined> {
  const out = await cloud.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

describe('rebalance recommendations', () => {
  const clouds: LocalCloud[] = [];
  afterAll(async () => {
    for (const cloud of clouds) await cloud.close();
  });

  /** A local cloud with these context values once its two targets are healthy, and the instance to recommend away. */
  async function startRebalanceCloud(workDir: string, context: Record<string, string>) {
    const cloud = await startLocalCloud({ port: 0, timeScale: TIME_SCALE, workDir, context: { ...NO_SCALE_OUT, ...context } });
    clouds.push(cloud);
    const healthy = (): string[] => cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').map((t) => t.id);
    await waitFor('two healthy targets', () => healthy().length >= 2, 20_000);
    return { cloud, healthy, old: healthy()[0]! };
  }

  it('drained on a recommendation under load, the instance is replaced and retired: full capacity, zero failed requests', async () => {
    const { cloud, healthy, old } = await startRebalanceCloud('.local-cloud/e2e-rebalance', { drainOnRebalance: 'true', capacityRebalance: 'true' });
    const since = Date.now();
    const load = startLoad(cloud.url, 10, 30);
    await new Promise((r) => setTimeout(r, 1000));
    const terminated = new Promise<number>((resolve) => cloud.fleet.on('terminated', (t) => t.instanceId === old && resolve(Date.now())));
    cloud.fleet.recommendRebalance(old);

    const terminatedAt = await terminated;
    await waitFor('two healthy targets without the old instance', () => healthy().length === 2 && !healthy().includes(old), 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    const report = await load.stop();
    console.log(`rebalance (launch-before-terminate, drain on): ${report.requests} requests, ${report.failures} failed`, report.failuresByKind);

    expect(report.failures).toBe(0);
    expect(report.requests).toBeGreaterThan(100);
    // The handler took it out of service (deregistered: draining, as ELB shows it until the delay ends), well before
    // the fleet terminated it.
    const changes = cloud.targetChanges.filter((c) => c.at >= since && c.id === old);
    console.log(changes.map((c) => `${c.at - since} ms ${c.from} → ${c.to}`).join(', '), `terminated at ${terminatedAt - since} ms`);
    const exit = changes.find((c) => c.to === 'draining');
    expect(exit).toBeDefined();
    expect(exit!.at).toBeLessThan(terminatedAt - 5000);
    expect(await stateOf(cloud, old)).toBe('terminated');
    expect(cloud.fleet.capacity).toBe(2);
    expect(cloud.fleet.instances()).toHaveLength(2);
  });

  it('with the launch strategy (no drain), the old instance keeps running beside its replacement, as AWS documents', async () => {
    const { cloud, healthy, old } = await startRebalanceCloud('.local-cloud/e2e-rebalance-launch', { capacityRebalance: 'true', rebalanceReplacementStrategy: 'launch' });
    cloud.fleet.recommendRebalance(old);
    await waitFor('a third healthy target (the replacement)', () => healthy().length === 3, 20_000);
    // Well past what a launch-before-terminate delay would be here (9 s).
    await new Promise((r) => setTimeout(r, 12_000));
    expect(await stateOf(cloud, old)).toBe('running');
    expect(healthy()).toContain(old);
    expect(cloud.fleet.instances()).toHaveLength(3);
    expect(cloud.fleet.capacity).toBe(2);
  });
});
