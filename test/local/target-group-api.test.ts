// The target group's API at the gateway (local/alb/target-group-api.ts) against moto: a registration change seen at
// the endpoint reaches the data plane as a pushed change, which a sync that read moto before it leaves alone.
import { DeregisterTargetsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLoadBalancer, type TargetStateChange } from '../../local/alb/index.js';
import { serveTargetGroupApi } from '../../local/alb/target-group-api.js';
import { AwsGateway } from '../../local/gateway.js';
import { motoClientConfig, startMoto, type MotoServer } from '../../local/moto-server.js';
import { createFleetFixture, type FleetFixture } from '../../harness/fleet-fixture.js';

let moto: MotoServer;
let gateway: AwsGateway;
let fleet: FleetFixture;

beforeAll(async () => {
  moto = await startMoto();
  gateway = new AwsGateway({ upstream: moto.endpoint });
  await gateway.start();
  fleet = await createFleetFixture(moto.endpoint, { fleetInstances: 2, foreignInstances: 0 });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await moto?.stop();
});

describe('the target group API at the gateway', () => {
  it('a DeregisterTargets at the endpoint while a sync holds an older answer: the target stays draining, never initial again', async () => {
    const [warned] = fleet.fleetInstanceIds;
    const changes: TargetStateChange[] = [];
    const loadBalancer = new LocalLoadBalancer({
      healthCheck: { path: '/', intervalMs: 60_000, timeoutMs: 1_000, healthyThreshold: 2, unhealthyThreshold: 2, matcher: '200' },
      deregistrationDelayMs: 60_000,
      resolveTarget: () => undefined,
      onTargetStateChange: (c) => changes.push(c),
    });
    await loadBalancer.start();
    const real = new ElasticLoadBalancingV2Client(motoClientConfig(moto.endpoint));
    // moto's answer to the sync, read at once and handed over only when the test says: an answer older than the change.
    const releases: Array<() => void> = [];
    let holding = false;
    const held = {
      send: async (command: DescribeTargetHealthCommand) => {
        const answer = await real.send(command);
        if (holding) await new Promise<void>((resolve) => releases.push(resolve));
        return answer;
      },
    } as unknown as ElasticLoadBalancingV2Client;
    const api = serveTargetGroupApi({ gateway, moto: { elbv2: held, ec2: fleet.ec2 }, targetGroupArn: fleet.targetGroupArn, port: 80, loadBalancer, pollMs: 3_600_000 });
    const caller = new ElasticLoadBalancingV2Client(motoClientConfig(gateway.endpoint));
    try {
      await api.syncNow();
      expect(loadBalancer.targets().find((t) => t.id === warned)?.state).toBe('initial');

      holding = true;
      const stale = api.syncNow();
      await new Promise((resolve) => setTimeout(resolve, 200));
      await caller.send(new DeregisterTargetsCommand({ TargetGroupArn: fleet.targetGroupArn, Targets: [{ Id: warned! }] }));
      expect(loadBalancer.targets().find((t) => t.id === warned)?.state).toBe('draining');
      holding = false;
      for (const release of releases) release();
      await stale;

      expect(loadBalancer.targets().find((t) => t.id === warned)?.state).toBe('draining');
      expect(changes.filter((c) => c.id === warned).map((c) => c.to)).toEqual(['initial', 'draining']);
      const health = await caller.send(new DescribeTargetHealthCommand({ TargetGroupArn: fleet.targetGroupArn, Targets: [{ Id: warned! }] }));
      expect(health.TargetHealthDescriptions?.[0]?.TargetHealth?.State).toBe('draining');
    } finally {
      for (const release of releases) release();
      await api.stop();
      caller.destroy();
      real.destroy();
      await loadBalancer.close();
    }
  }, 30_000);
});
