import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  InvalidTargetException,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { classifyMembership } from './target-state.js';

/** What the handler found or did in one target group. */
export const TARGET_GROUP_OUTCOMES = ['deregistered', 'already-draining', 'not-registered'] as const;
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
  /**
   * Told of a target group whose DeregisterTargets failed other than with InvalidTarget: the call may have landed
   * all the same. A timeout or a reset connection says nothing of whether ELB applied it, and the SDK retries those
   * itself, so the error that reaches here may be a later attempt's (a throttle, a 5xx) after an earlier one landed.
   */
  readonly onDeregisterFailed?: (targetGroupArn: string) => void;
}

/**
 * Takes the instance out of every target group it is live in, so the ALB starts draining it. Target groups are
 * handled concurrently: the two-minute warning leaves no time to spare. Every target group is finished before
 * a failure is thrown, and each finished one is reported through `onDrained`, so a retry only has the failed
 * ones left to do.
 */
export async function drainInstance(
  elbv2: ElasticLoadBalancingV2Client,
  targetGroupArns: readonly string[],
  instanceId: string,
  options: DrainOptions = {},
): Promise<TargetGroupResult[]> {
  const settled = await Promise.allSettled(
    targetGroupArns.map(async (arn) => {
      const result = await drainFromTargetGroup(elbv2, arn, instanceId, options);
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
  { abortSignal, onDeregisterFailed }: DrainOptions,
): Promise<TargetGroupResult> {
  const membership = await describeMembership(elbv2, targetGroupArn, instanceId, abortSignal);
  if (membership.kind === 'not-registered') return { targetGroupArn, outcome: 'not-registered' };
  if (membership.kind === 'draining') return { targetGroupArn, outcome: 'already-draining' };
  try {
    await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [...membership.targets] }), { abortSignal });
    return { targetGroupArn, outcome: 'deregistered' };
  } catch (error) {
    // The target was live a moment ago. ELB keeps InvalidTarget for an instance that does not exist or is in another
    // VPC; moto alone also answers it for a target a concurrent duplicate has just deregistered, where ELB (and the
    // local cloud, local/alb/deregister-targets-api.ts) answers success. Either way the instance is leaving the
    // group, which is all we need.
    if (error instanceof InvalidTargetException) return { targetGroupArn, outcome: 'already-draining' };
    onDeregisterFailed?.(targetGroupArn);
    throw error;
  }
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

/** One verdict for the whole event: any real deregistration wins, then draining, then not registered. */
export function summarize(results: readonly TargetGroupResult[]): TargetGroupOutcome {
  if (results.some((r) => r.outcome === 'deregistered')) return 'deregistered';
  if (results.some((r) => r.outcome === 'already-draining')) return 'already-draining';
  return 'not-registered';
}
