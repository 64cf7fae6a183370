import type { TargetDescription, TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';

/** Where an instance stands in one target group, as DescribeTargetHealth reports it. */
export type TargetGroupMembership =
  | { readonly kind: 'not-registered' }
  | { readonly kind: 'draining' }
  /** Still receiving traffic (or able to): these registrations must be deregistered. */
  | { readonly kind: 'registered'; readonly targets: readonly TargetDescription[] };

/**
 * Classifies DescribeTargetHealth output for one instance. AWS and moto both answer `unused` +
 * `Target.NotRegistered` for an instance that is not (or no longer) registered and `draining` for one being
 * deregistered; anything else (healthy, initial, unhealthy, unused because stopped...) is a live registration.
 * An instance can be registered on several ports, so every live registration is kept, port included: AWS
 * requires the port of a port-override registration to deregister it.
 */
export function classifyMembership(
  instanceId: string,
  descriptions: readonly TargetHealthDescription[],
): TargetGroupMembership {
  const live = descriptions.filter(
    (d) => d.TargetHealth?.Reason !== 'Target.NotRegistered' && d.TargetHealth?.State !== 'draining',
  );
  if (live.length > 0) {
    return {
      kind: 'registered',
      targets: live.map((d) => (d.Target?.Port === undefined ? { Id: instanceId } : { Id: instanceId, Port: d.Target.Port })),
    };
  }
  return descriptions.some((d) => d.TargetHealth?.State === 'draining') ? { kind: 'draining' } : { kind: 'not-registered' };
}
