// Shared by the local-cloud benchmarks: start a quiet local cloud, wait for its fleet, and follow targets.
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../local/cloud.js';
import { localAwsEnvironment } from '../local/contract.js';
import { waitFor } from '../harness/wait-for.js';
import { interruptionWarning } from '../harness/ec2-events.js';
import { handler as baselineHandler, TARGET_GROUP_TAG } from './baseline/handler.js';
import { DEFAULT_MAX_CONCURRENCY } from '../local/lambda/pool.js';

export { waitFor };

/** A count from the environment (to scale a benchmark down on a slow machine), else the number. */
export function countFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

export async function startQuietCloud(options: LocalCloudOptions & { workDir: string }): Promise<LocalCloud> {
  return startLocalCloud({ port: 0, timeScale: 0.05, ...options, log: () => undefined, verboseLog: () => undefined });
}

export function healthyIds(cloud: LocalCloud): string[] {
  const warned = new Set(cloud.fleet.instances().filter((i) => i.reclaimAt).map((i) => i.instanceId));
  return cloud.loadBalancer.targets().filter((t) => t.state === 'healthy' && !warned.has(t.id)).map((t) => t.id);
}

export async function waitForHealthy(cloud: LocalCloud, count: number, timeoutMs = 180_000): Promise<void> {
  await waitFor(`${count} healthy targets`, () => healthyIds(cloud).length >= count, timeoutMs);
}

/**
 * When the ALB stopped sending new requests to a target after `since`: it went from `healthy` to draining, or was
 * removed at once when it had no request in flight, as ELB does. Turning unhealthy does not count: an ALB whose
 * targets are all unhealthy fails open and still sends them requests. Only a change before `before` counts: at the
 * reclaim the target goes anyway, which is exactly what taking it out of service must beat.
 */
export function outOfServiceAt(cloud: LocalCloud, instanceId: string, since: number, before: number): number | undefined {
  return cloud.targetChanges.find(
    (c) => c.id === instanceId && c.from === 'healthy' && (c.to === 'draining' || c.to === 'removed') && c.at >= since && c.at < before,
  )?.at;
}

/**
 * The workshop-style handler (bench/baseline) playing the Lambda on a local cloud started with `handler: false`:
 * invoked in-process on every warning, it finds the target group from an instance tag, which it puts on every
 * instance as it starts serving (the workshop's launch template did). Invocations run one at a time, as the local
 * Lambda runtime runs ours (one warm environment, reserved concurrency 1), so the two compare as algorithms.
 */
export async function driveBaselineHandler(cloud: LocalCloud): Promise<{ errors: unknown[]; handled(): number }> {
  Object.assign(process.env, localAwsEnvironment(cloud.endpoint, cloud.region));
  const errors: unknown[] = [];
  const tag = (instanceId: string) =>
    cloud.clients.ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: TARGET_GROUP_TAG, Value: cloud.targetGroupArn }] }));
  cloud.fleet.on('serving', ({ instanceId }) => void tag(instanceId).catch((e: unknown) => errors.push(e)));
  await Promise.all(cloud.fleet.instances().map((i) => tag(i.instanceId)));
  // As many at once as the local Lambda runtime gives our handler, so the two compare as algorithms.
  let running = 0;
  let finished = 0;
  const pending: Array<() => void> = [];
  const run = async (event: Parameters<typeof baselineHandler>[0]): Promise<void> => {
    if (running >= DEFAULT_MAX_CONCURRENCY) await new Promise<void>((resolve) => pending.push(resolve));
    running++;
    try {
      await baselineHandler(event);
    } finally {
      running--;
      finished++;
      pending.shift()?.();
    }
  };
  // The workshop handler logs each step with console.log: callers print their figures with their own writer.
  cloud.fleet.on('warned', ({ instanceId }) => {
    const event = interruptionWarning(instanceId) as unknown as Parameters<typeof baselineHandler>[0];
    run(event).catch((e: unknown) => errors.push(e));
  });
  return { errors, handled: () => finished };
}
