// Shared by the local-cloud benchmarks: start a quiet local cloud, wait for its fleet, and follow targets.
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../local/cloud.js';
import { matchesEventPattern } from '../local/events/pattern.js';
import { lambdaFunctions, rulesOf, type LambdaFunctionSpec } from '../local/stack-reader.js';
import { waitFor } from '../harness/wait-for.js';
import { interruptionWarning } from '../harness/ec2-events.js';
import { TARGET_GROUP_TAG } from './baseline/handler.js';

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
  return startLocalCloud({ port: 0, timeScale: 0.05, log: () => undefined, verboseLog: () => undefined, ...options });
}

export function healthyIds(cloud: LocalCloud): string[] {
  const warned = new Set(cloud.fleet.instances().filter((i) => i.reclaimAt).map((i) => i.instanceId));
  return cloud.loadBalancer.targets().filter((t) => t.state === 'healthy' && !warned.has(t.id)).map((t) => t.id);
}

export async function waitForHealthy(cloud: LocalCloud, count: number, timeoutMs = 180_000): Promise<void> {
  await waitFor(`${count} healthy targets`, () => healthyIds(cloud).length >= count, timeoutMs);
}

/**
 * When the ALB stopped sending new requests to a target after `since`: it went from `healthy` to draining (a
 * deregistered target is shown draining until the deregistration delay ends, also when its drain completed at once,
 * as ELB shows it; only a terminated instance's target is removed outright). Turning unhealthy does not count: an ALB whose
 * targets are all unhealthy fails open and still sends them requests. Only a change before `before` counts: at the
 * reclaim the target goes anyway, which is exactly what taking it out of service must beat.
 */
export function outOfServiceAt(cloud: LocalCloud, instanceId: string, since: number, before: number): number | undefined {
  return cloud.targetChanges.find(
    (c) => c.id === instanceId && c.from === 'healthy' && c.to === 'draining' && c.at >= since && c.at < before,
  )?.at;
}

/**
 * The workshop handler (bench/baseline) as the stack's interruption function: the same function behind the same
 * rule, with its code replaced (UpdateFunctionCode, as the local Lambda runtime plays it) by the workshop's, so it
 * goes through the same EventBridge delivery, Lambda asynchronous invocation, execution environments, concurrency
 * limit, role and environment as ours; only the code differs. The role gets what the workshop's code needs beyond
 * ours, `ec2:DescribeTags` (an inline policy, as the workshop's role granted it; DescribeTags has no resource-level
 * permissions, hence `*`), so it works whether moto enforces IAM or not. Every instance carries the tag the
 * workshop's launch template put on it, naming its target group, from the moment it serves.
 * @returns the instance tagging failures (none expected).
 */
export async function deployWorkshopBaseline(cloud: LocalCloud, assetDir: string): Promise<{ errors: unknown[] }> {
  const fn = interruptionFunction(cloud);
  const roleArn = fn.roleArn ?? '';
  const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
  if (roleName === '') throw new Error(`the interruption function ${fn.name} names no role`);
  await cloud.clients.iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: 'workshop-baseline-tag-lookup',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeTags', Resource: '*' }] }),
    }),
  );
  const errors: unknown[] = [];
  const tag = (instanceId: string) =>
    cloud.clients.ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: TARGET_GROUP_TAG, Value: cloud.targetGroupArn }] }));
  cloud.fleet.on('serving', ({ instanceId }) => void tag(instanceId).catch((e: unknown) => errors.push(e)));
  await Promise.all(cloud.fleet.instances().map((i) => tag(i.instanceId)));
  await replaceInterruptionCode(cloud, assetDir);
  return { errors };
}

/**
 * Replaces the code of the stack's interruption function with the CommonJS bundle in `assetDir` (UpdateFunctionCode,
 * as the local Lambda runtime plays it); its rule, role, environment and concurrency limit stay the stack's.
 */
export async function replaceInterruptionCode(cloud: LocalCloud, assetDir: string): Promise<void> {
  await cloud.updateFunctionCode(interruptionFunction(cloud).name, assetDir);
}

/**
 * Takes the interruption function's destinations away (PutFunctionEventInvokeConfig with its retries and event age
 * kept, as the local runtime plays it): for code that has no confirmation to hand on, as a stack without one would
 * have none.
 */
export function dropInterruptionDestinations(cloud: LocalCloud): void {
  const fn = interruptionFunction(cloud);
  const { maximumRetryAttempts, maximumEventAgeMs } = fn.eventInvokeConfig;
  cloud.putFunctionEventInvokeConfig(fn.name, { maximumRetryAttempts, maximumEventAgeMs });
}

/** The one function the stack's rule for Spot interruption warnings invokes, as the local runtime runs it. */
export function interruptionFunction(cloud: LocalCloud): LambdaFunctionSpec {
  const warning = interruptionWarning('i-0123456789abcdef0');
  const arns = rulesOf(cloud.deployed)
    .filter((rule) => rule.enabled && matchesEventPattern(rule.eventPattern, warning))
    .flatMap((rule) => rule.targets.map((t) => t.Arn))
    .filter((arn) => arn.split(':')[2] === 'lambda');
  // The assets are not read here: no assembly directory needed.
  const functions = lambdaFunctions(cloud.deployed, '').filter((f) => arns.includes(f.arn));
  if (functions.length !== 1) throw new Error(`expected one function behind the interruption warning rule, found ${functions.length}`);
  return functions[0]!;
}
