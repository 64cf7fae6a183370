// A deploy that changes the launch template, on a fleet of 4 under load (local cloud, time scale 0.05: the 120 s
// drain takes 6 s), two ways, each on its own local cloud:
//  - roll: `npm run cli -- roll` (its code, cli/roll/run.ts) replaces the instances one at a time: replacement
//    healthy first, then deregister, drain, terminate;
//  - naive (the control): what a fleet replacement by CloudFormation does: a new fleet is requested (its resource is
//    complete once the request is accepted, not when its instances serve) and the old fleet's instances are
//    terminated at the stack's clean-up right after; no warning, no drain.
// Prints failed requests and the time until 4 instances of the new version are healthy.
// Run: npm run bench -- roll   (BENCH_FLEET=4 by default)
import {
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplateVersionsCommand,
  ModifySpotFleetRequestCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { roll } from '../cli/roll/run.js';
import { resolveTarget } from '../cli/target.js';
import type { LocalCloud } from '../local/cloud.js';
import { countFromEnv, healthyIds, startQuietCloud, waitFor, waitForHealthy } from './cloud-helpers.js';
import { startTimedLoad } from './timed-load.js';

const FLEET = countFromEnv('BENCH_FLEET', 4);
const TIME_SCALE = 0.05;
const CONCURRENCY = 8;

const print = console.log.bind(console);
console.log = () => undefined;

async function newTemplateVersion(cloud: LocalCloud): Promise<void> {
  const { launchTemplateId } = cloud.fleet.launchTemplateSpecification;
  const current = await cloud.clients.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId, Versions: ['$Latest'] }));
  const data = current.LaunchTemplateVersions![0]!.LaunchTemplateData!;
  const userData = `${Buffer.from(data.UserData!, 'base64').toString('utf8')}# deployed again\n`;
  await cloud.clients.ec2.send(
    new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: launchTemplateId, LaunchTemplateData: { ImageId: data.ImageId, UserData: Buffer.from(userData).toString('base64') } }),
  );
}

async function measure(name: string, change: (cloud: LocalCloud, workDir: string, old: Set<string>) => Promise<void>): Promise<void> {
  const workDir = `.local-cloud/bench-roll-${name}`;
  const cloud = await startQuietCloud({
    timeScale: TIME_SCALE,
    workDir,
    context: { targetCapacity: String(FLEET), minCapacity: String(FLEET), maxCapacity: String(FLEET * 2 + 1), requestsPerTarget: '1000000' },
  });
  try {
    await waitForHealthy(cloud, FLEET);
    const old = new Set(healthyIds(cloud));
    await newTemplateVersion(cloud);
    const load = startTimedLoad(cloud.url, CONCURRENCY);
    await new Promise((r) => setTimeout(r, 1000));
    const started = Date.now();
    await change(cloud, workDir, old);
    await waitFor(`${FLEET} new healthy instances`, () => healthyIds(cloud).filter((id) => !old.has(id)).length >= FLEET && healthyIds(cloud).every((id) => !old.has(id)), 300_000);
    const tookMs = Date.now() - started;
    await new Promise((r) => setTimeout(r, 1000));
    const samples = await load.stop();
    const failed = samples.filter((s) => !s.ok).length;
    print(`${name.padEnd(6)} fleet of ${FLEET}: ${failed} of ${samples.length} requests failed; ${(tookMs / 1000).toFixed(1)} s until ${FLEET} new instances healthy (time scale ${TIME_SCALE})`);
  } finally {
    await cloud.close();
  }
}

print('(figures from a shared 2-core machine; other work ran beside them)');
await measure('roll', async (_cloud, workDir) => {
  const target = await resolveTarget({ local: workDir });
  try {
    const report = await roll(target);
    if (!report.complete) throw new Error('roll did not complete');
  } finally {
    target.close();
  }
});
await measure('naive', async (cloud, _workDir, old) => {
  const { ec2 } = cloud.clients;
  cloud.fleet.setLaunchTemplateVersion('2');
  await ec2.send(new ModifySpotFleetRequestCommand({ SpotFleetRequestId: cloud.fleetRequestId, TargetCapacity: FLEET * 2 }));
  await ec2.send(new ModifySpotFleetRequestCommand({ SpotFleetRequestId: cloud.fleetRequestId, TargetCapacity: FLEET, ExcessCapacityTerminationPolicy: 'noTermination' }));
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [...old] }));
});
