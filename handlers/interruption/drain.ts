import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  InvalidTargetException,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { classifyMembership } from './target-state.js';

/**
 * What the handler found in one target group once its DeregisterTargets had landed: `deregistered`, the target is
 * leaving the group (ELB shows it `draining`); `not-registered`, the instance was not in the group (or left it more
 * than the deregistration delay ago), or is no instance of this VPC.
 */
export const TARGET_GROUP_OUTCOMES = ['deregistered', 'not-registered'] as const;
export type TargetGroupOutcome = (typeof TARGET_GROUP_OUTCOMES)[number];

export interface TargetGroupResult {
  readonly targetGroupArn: string;
  readonly outcome: TargetGroupOutcome;
}

export interface DrainOptions {
  /** Aborts the API calls under way (the handler's retry deadline). */
  readonly abortSignal?: AbortSignal;
  /** Told of each target group as soon as it is done, also when another one fails. */
  readonly onDrained?: (result: TargetGroupResult) => void;
}

/**
 * Takes the instance out of every target group it is live in, so the ALB starts draining it. Target groups are
 * handled concurrently: the two-minute warning leaves no time to spare. Every target group is finished before
 * a failure is thrown, and each finished one is reported through `onDrained`, so a retry only has the failed
 * ones left to do.
 *
 * In each target group, DeregisterTargets comes first and DescribeTargetHealth after it: the deregistration is what
 * takes the instance out of service, so it is one API call from the warning, not two. The call alone says nothing of
 * membership: ELB answers success for a target that is not registered (ELB API reference, DeregisterTargets: "If the
 * specified target does not exist, the action returns successfully") and keeps `InvalidTarget` for an instance that
 * does not exist or is in another VPC. The describe afterwards does: ELB shows a deregistered target `draining` until
 * the deregistration delay ends, also when the drain completed at once (ELB user guide for Application Load
 * Balancers, "Deregistration delay",
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay;
 * the stack keeps the delay at least as long as the function's timeout, infra/config.ts, so the describe of one
 * invocation comes within it; Lambda's retry, a minute or more after a failed invocation, may find the target gone,
 * and its record then only resumes a claim an earlier delivery took, confirmations.ts), so
 * - `draining`: the instance was in the group, and is leaving it: `deregistered`;
 * - `unused` / `Target.NotRegistered`: it was not (or left more than the delay ago): `not-registered`;
 * - still live: a registration the port-less call did not match (one on a port of its own, a port override, when ELB
 *   lists it for a describe by id; not verified against ELB, and the stack registers none): it is deregistered with
 *   its port.
 *
 * What this order cannot tell is whether the target was already draining before the call (a duplicate delivery of
 * the warning, a drain by someone else): both say `deregistered`, and a second DeregisterTargets of a draining target
 * is the success quoted above. The drain confirmation's conditional claim (confirmations.ts) still sends one message
 * per instance.
 */
export async function drainInstance(
  elbv2: ElasticLoadBalancingV2Client,
  targetGroupArns: readonly string[],
  instanceId: string,
  options: DrainOptions = {},
): Promise<TargetGroupResult[]> {
  const settled = await Promise.allSettled(
    targetGroupArns.map(async (arn) => {
      const result = await drainFromTargetGroup(elbv2, arn, instanceId, options.abortSignal);
      options.onDrained?.(result);
      return result;
    }),
  );
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `Draining ${instanceId} failed in ${failures.length} target groups`);
  return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
}

async function drainFromTargetGroup(
  elbv2: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
  instanceId: string,
  abortSignal: AbortSignal | undefined,
): Promise<TargetGroupResult> {
  try {
    await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: instanceId }] }), { abortSignal });
  } catch (error) {
    // No such instance, or one in another VPC: not ours, and nothing to describe.
    if (error instanceof InvalidTargetException) return { targetGroupArn, outcome: 'not-registered' };
    throw error;
  }
  const membership = await describeMembership(elbv2, targetGroupArn, instanceId, abortSignal);
  if (membership.kind === 'not-registered') return { targetGroupArn, outcome: 'not-registered' };
  if (membership.kind === 'registered') {
    try {
      await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [...membership.targets] }), { abortSignal });
    } catch (error) {
      // The registration was live a moment ago: InvalidTarget now means a concurrent duplicate took it out first (moto
      // answers that; ELB, and the local cloud, local/alb/deregister-targets-api.ts, answer success). It is leaving.
      if (!(error instanceof InvalidTargetException)) throw error;
    }
  }
  return { targetGroupArn, outcome: 'deregistered' };
}

async function describeMembership(
  elbv2: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
  instanceId: string,
  abortSignal: AbortSignal | undefined,
) {
  try {
    const health = await elbv2.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: instanceId }] }),
      { abortSignal },
    );
    return classifyMembership(instanceId, health.TargetHealthDescriptions ?? []);
  } catch (error) {
    // AWS answers InvalidTarget for an instance that does not exist or lives in another VPC: not ours.
    if (error instanceof InvalidTargetException) return { kind: 'not-registered' } as const;
    throw error;
  }
}

/** One verdict for the whole event: `deregistered` when the instance left any target group. */
export function summarize(results: readonly TargetGroupResult[]): TargetGroupOutcome {
  return results.some((r) => r.outcome === 'deregistered') ? 'deregistered' : 'not-registered';
}
