// An instance whose app cannot run leaves and is replaced: systemd gives up on the app and powers the instance off,
// the launch template's shutdown behaviour terminates it, and the `maintain` fleet launches a replacement.
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { startLoad } from '../support/load.js';
import { waitFor } from '../../harness/wait-for.js';

// 0.05: health checks every 0.25 s. systemd's own spans (RestartSec 2 s, 60 s start-limit window) run unscaled:
// the app gives up after five starts, about 15 s here.
const TIME_SCALE = 0.05;
const NO_SCALE_OUT = { requestsPerTarget: '1000000' };

describe('an instance that cannot serve leaves', () => {
  let cloud: LocalCloud | undefined;
  afterAll(async () => {
    await cloud?.close();
  });

  it('breaks an app for good under load: the instance powers off, terminates, and a replacement serves', async () => {
    cloud = await startLocalCloud({ port: 0, timeScale: TIME_SCALE, workDir: '.local-cloud/e2e-healing', context: NO_SCALE_OUT });
    const c = cloud;
    const healthy = (): string[] => c.loadBalancer.targets().filter((t) => t.state === 'healthy').map((t) => t.id);
    await waitFor('two healthy targets', () => healthy().length >= 2, 20_000);
    const [broken] = healthy();
    const poweredOff = new Promise<string>((resolve) => c.fleet.on('powered-off', (p) => p.instanceId === broken && resolve(p.reason)));
    const terminated = new Promise<void>((resolve) => c.fleet.on('terminated', (t) => t.instanceId === broken && resolve()));

    const load = startLoad(c.url, 10, 30);
    await new Promise((r) => setTimeout(r, 1000));
    const brokeAt = Date.now();
    c.fleet.breakApp(broken!);

    const reason = await poweredOff;
    expect(reason).toMatch(/start-limit-hit/);
    await terminated;
    const replacement = await waitFor(
      'a replacement healthy beside the survivor',
      () => (healthy().length >= 2 && !healthy().includes(broken!) ? healthy() : undefined),
      30_000,
    );
    const healedMs = Date.now() - brokeAt;
    await new Promise((r) => setTimeout(r, 1000));
    const report = await load.stop();
    console.log(
      `healing: app broken → ${healedMs} ms until two healthy targets again (time scale ${TIME_SCALE}); ` +
        `${report.requests} requests, ${report.failures} failed`,
      report.failuresByKind,
    );

    const described = await c.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [broken!] }));
    expect(described.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('terminated');
    expect(c.fleet.instances().map((i) => i.instanceId)).not.toContain(broken);
    expect(replacement).toHaveLength(2);
    expect(report.instances.size).toBeGreaterThanOrEqual(3);
    // Requests routed to the broken app before two health checks failed (and the ones it held when killed) fail:
    // nothing warns the load balancer of a crash. They are bounded by the health check, not by the fleet.
    expect(report.failures).toBeLessThan(report.requests / 10);
  });
});
