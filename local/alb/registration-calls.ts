import { membersOf, queryObserver, type ResponseObserver } from '../gateway.js';

export interface TargetChange {
  readonly action: 'RegisterTargets' | 'DeregisterTargets';
  readonly targetGroupArn: string;
  readonly targetIds: readonly string[];
}

/** The registration change a RegisterTargets / DeregisterTargets query-protocol body asks for, if it is one. */
export function targetChangeOf(params: URLSearchParams): TargetChange | undefined {
  const action = params.get('Action');
  const targetGroupArn = params.get('TargetGroupArn');
  if ((action !== 'RegisterTargets' && action !== 'DeregisterTargets') || !targetGroupArn) return undefined;
  return { action, targetGroupArn, targetIds: membersOf(params, /^Targets\.member\.\d+\.Id$/) };
}

/**
 * Reports each RegisterTargets / DeregisterTargets moto accepted. ELB's control plane pushes a registration
 * change to its data plane at once; with this, the local ALB does too, rather than waiting for the next poll.
 */
export function onTargetsChanged(listener: (change: TargetChange) => void): ResponseObserver {
  return queryObserver(targetChangeOf, listener);
}
