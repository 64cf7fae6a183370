// A deploy changed the launch template: `roll` replaces the fleet's instances one at a time under load, through the
// path an interruption takes, and is safe to stop and run again.
import {
  CreateLaunchTemplateVersionCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSpotFleetRequestsCommand,
  DescribeTagsCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';
import { ROLL_CAPACITY_TAG } from '../../cli/roll/plan.js';
import { LAUNCH_TEMPLATE_VERSION_TAG } from '../../common/ec2-events.js';
import { roll, type RollProgress } from '../../cli/roll/run.js';
import { resolveTarget } from '../../cli/target.js';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { startLoad } from '../support/load.js';
import { waitFor } from '../../harness/wait-for.js';

const TIME_SCALE = 0.05;
const WORK_DIR = '.local-cloud/e2e-roll';

/** What a deploy with new user data does to the launch template: a new version (CloudFormation's update). */
async function deployNewUserData(cloud: LocalCloud, templateId: string): Promise<void> {
  const current = await cloud.clients.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: ['$Latest'] }));
  const data = current.LaunchTemplateVersions![0]!.LaunchTemplateData!;
  const userData = `${Buffer.from(data.UserData!, 'base64').toString('utf8')}# deployed again\n`;
  await cloud.clients.ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: templateId,
      LaunchTemplateData: { ImageId: data.ImageId, UserData: Buffer.from(userData).toString('base64') },
    }),
  );
}

describe('roll', () => {
  let cloud: LocalCloud | undefined;
  afterAll(async () => {
    await cloud?.close();
  });

  it('replaces every instance with the new version under load, never below capacity, zero failed requests, resumable', async () => {
    cloud = await startLocalCloud({ port: 0, timeScale: TIME_SCALE, workDir: WORK_DIR, context: { requestsPerTarget: '1000000' } });
    const c = cloud;
    const healthy = (): string[] => c.loadBalancer.targets().filter((t) => t.state === 'healthy').map((t) => t.id);
    await waitFor('two healthy targets', () => healthy().length >= 2, 20_000);
    const original = new Set(healthy());
    const templateId = c.fleet.launchTemplateSpecification.launchTemplateId;
    await deployNewUserData(c, templateId);

    const target = await resolveTarget({ local: WORK_DIR });
    const load = startLoad(c.url, 10, 30);
    // In service: registered and past its first checks, not draining (the ALB routes to these; unhealthy ones
    // too while it fails open, which a flapping health check on this loaded machine can cause).
    const inService = (): number => c.loadBalancer.targets().filter((t) => t.state === 'healthy' || t.state === 'unhealthy').length;
    let fewestHealthy = Number.POSITIVE_INFINITY;
    let fewestInService = Number.POSITIVE_INFINITY;
    const watch = setInterval(() => {
      fewestHealthy = Math.min(fewestHealthy, healthy().length);
      fewestInService = Math.min(fewestInService, inService());
    }, 20);
    try {
      // Stopped (as Ctrl-C would) right after deregistering the first old instance, then run again.
      const stop = new AbortController();
      const steps: string[] = [];
      const onProgress = (p: RollProgress): void => {
        if (steps.at(-1) !== p.step.kind) steps.push(p.step.kind);
        if (p.step.kind === 'deregister') stop.abort();
      };
      const first = await roll(target, { signal: stop.signal, onProgress });
      expect(first.complete).toBe(false);
      steps.push('(stopped, run again)');
      const second = await roll(target, { onProgress });
      expect(second.complete).toBe(true);
      expect(second.version).toBe(2);
      console.log(`roll steps: ${steps.join(' → ')}; ${first.durationMs + second.durationMs} ms`);
      expect(steps).toContain('raise-capacity');
      expect(steps).toContain('deregister');
      expect(steps).toContain('terminate');
    } finally {
      clearInterval(watch);
      target.close();
    }
    await new Promise((r) => setTimeout(r, 500));
    const report = await load.stop();
    console.log(
      `roll under load: ${report.requests} requests, ${report.failures} failed`,
      report.failuresByKind,
      `fewest in service ${fewestInService}, fewest healthy ${fewestHealthy}`,
    );
    expect(report.failures).toBe(0);
    expect(fewestInService).toBeGreaterThanOrEqual(2);

    const ids = c.fleet.instances().map((i) => i.instanceId);
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(original.has(id)).toBe(false);
    const described = await c.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    const versions = (described.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.Tags?.find((t) => t.Key === LAUNCH_TEMPLATE_VERSION_TAG)?.Value);
    expect(versions).toEqual(['2', '2']);
    const fleet = await c.clients.ec2.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: [c.fleetRequestId] }));
    const config = fleet.SpotFleetRequestConfigs![0]!.SpotFleetRequestConfig!;
    expect(config.TargetCapacity).toBe(2);
    expect(config.LaunchTemplateConfigs?.[0]?.LaunchTemplateSpecification).toEqual({ LaunchTemplateId: templateId, Version: '2' });
    expect(config.LaunchTemplateConfigs?.[0]?.Overrides?.length).toBeGreaterThanOrEqual(6);
    const tags = await c.clients.ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [c.fleetRequestId] }, { Name: 'key', Values: [ROLL_CAPACITY_TAG] }] }));
    expect(tags.Tags ?? []).toEqual([]);
    // Nothing left to do: a third run changes nothing.
    const again = await resolveTarget({ local: WORK_DIR });
    try {
      expect((await roll(again)).replaced).toEqual([]);
    } finally {
      again.close();
    }
  });
});
