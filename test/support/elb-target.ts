import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  type DeregisterTargetsCommandInput,
  type DescribeTargetHealthCommandInput,
  type ElasticLoadBalancingV2ClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsStub } from 'aws-sdk-client-mock';

/** Where one instance stands in a target group. */
export type Membership = 'healthy' | 'draining' | 'not-registered';

/** ELB's answer for an instance that is not registered (DescribeTargetHealth, `Targets` named). */
function notRegistered(instanceId: string) {
  return {
    TargetHealthDescriptions: [
      { Target: { Id: instanceId, Port: 80 }, TargetHealth: { State: 'unused' as const, Reason: 'Target.NotRegistered' as const, Description: 'Target is not registered to the target group' } },
    ],
  };
}

/**
 * A unit-test stand-in for ELB's view of one instance in each target group, kept as the handler's calls change it:
 * DeregisterTargets of a live registration on the port it names (the group's, 80, when it names none) turns it
 * `draining`, which DescribeTargetHealth shows until the deregistration delay ends (`set` plays the end); of anything
 * else ELB answers success and changes nothing (ELB API reference, DeregisterTargets: "If the specified target does not
 * exist, the action returns successfully"). `port`: the registration's port (a port override when not 80).
 * Installs itself on `mock`; later, more specific `mock.on(...)` behaviours still take precedence for their input.
 */
export function elbTargets(
  mock: AwsStub<ServiceInputTypes, ServiceOutputTypes, ElasticLoadBalancingV2ClientResolvedConfig>,
  instanceId: string,
  groups: Readonly<Record<string, Membership>>,
  port = 80,
) {
  const state = new Map(Object.entries(groups));
  const calls: string[] = [];
  mock.on(DeregisterTargetsCommand).callsFake((input: DeregisterTargetsCommandInput) => {
    const targets = input.Targets ?? [];
    calls.push(`DeregisterTargets ${targets.map((t) => t.Port ?? '-').join()}`);
    if (state.get(input.TargetGroupArn!) === 'healthy' && targets.some((t) => t.Id === instanceId && (t.Port ?? 80) === port)) state.set(input.TargetGroupArn!, 'draining');
    return {};
  });
  mock.on(DescribeTargetHealthCommand).callsFake((input: DescribeTargetHealthCommandInput) => {
    calls.push('DescribeTargetHealth');
    const now = state.get(input.TargetGroupArn!) ?? 'not-registered';
    if (now === 'not-registered') return notRegistered(instanceId);
    const health = now === 'draining' ? { State: 'draining' as const, Reason: 'Target.DeregistrationInProgress' as const } : { State: now };
    return { TargetHealthDescriptions: [{ Target: { Id: instanceId, Port: port }, TargetHealth: health }] };
  });
  return {
    /** The calls in the order ELB got them: `DeregisterTargets <ports, "-" for none>`, `DescribeTargetHealth`. */
    calls,
    state: (targetGroupArn: string) => state.get(targetGroupArn),
    set: (targetGroupArn: string, to: Membership) => void state.set(targetGroupArn, to),
  };
}
