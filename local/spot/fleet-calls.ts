import { membersOf, queryObserver, queryParams, type Interceptor, type ResponseObserver } from '../gateway.js';

/**
 * The EC2 calls the Spot emulation plays or follows, as gateway hooks.
 *
 * ModifySpotFleetRequest: moto terminates excess instances the moment capacity drops, with no warning. On AWS a
 * reclaimed Spot instance gets a two-minute interruption notice first, which is the whole point of this project.
 * So moto is told `noTermination` (it then only records the new capacity) and the caller's policy is reported to
 * the Spot Fleet emulation, which warns and later terminates the instances itself.
 */

export interface FleetModification {
  readonly spotFleetRequestId: string;
  readonly targetCapacity?: number;
  /** What the caller asked for: `default` (terminate excess) unless it said `noTermination`. */
  readonly excessCapacityTerminationPolicy: 'default' | 'noTermination';
}

/** For a ModifySpotFleetRequest query-protocol call, the body to send moto instead and what the caller asked. */
export function rewriteFleetModification(params: URLSearchParams): { body: string; modification: FleetModification } | undefined {
  if (params.get('Action') !== 'ModifySpotFleetRequest') return undefined;
  const id = params.get('SpotFleetRequestId');
  if (!id) return undefined;
  const capacity = params.get('TargetCapacity');
  const asked = params.get('ExcessCapacityTerminationPolicy');
  const forMoto = new URLSearchParams(params);
  forMoto.set('ExcessCapacityTerminationPolicy', 'noTermination');
  return {
    body: forMoto.toString(),
    modification: {
      spotFleetRequestId: id,
      targetCapacity: capacity === null ? undefined : Number(capacity),
      excessCapacityTerminationPolicy: asked === 'noTermination' ? 'noTermination' : 'default',
    },
  };
}

/** Sends moto every ModifySpotFleetRequest with `noTermination`: the emulation does the terminating, warned. */
export const fleetModificationInterceptor: Interceptor = (req) => {
  const params = queryParams(req);
  const rewritten = params && rewriteFleetModification(params);
  return rewritten ? { forward: { ...req, body: Buffer.from(rewritten.body, 'utf8') } } : undefined;
};

/** Reports each ModifySpotFleetRequest moto accepted, with the policy the caller asked for. */
export function onFleetModified(listener: (modification: FleetModification) => void): ResponseObserver {
  return queryObserver((params) => rewriteFleetModification(params)?.modification, listener);
}

export interface InstancesChange {
  readonly action: string;
  readonly instanceIds: readonly string[];
}

/** EC2 calls after which an instance may no longer be live, or live again. */
const INSTANCE_STATE_ACTIONS = new Set(['TerminateInstances', 'StopInstances', 'StartInstances']);

/** The instances a TerminateInstances / StopInstances / StartInstances query-protocol call names, if it is one. */
export function instancesChangeOf(params: URLSearchParams): InstancesChange | undefined {
  const action = params.get('Action');
  if (action === null || !INSTANCE_STATE_ACTIONS.has(action)) return undefined;
  return { action, instanceIds: membersOf(params, /^InstanceId\.\d+$/) };
}

/** Reports each call that ends, stops or starts instances moto accepted. */
export function onInstancesChanged(listener: (change: InstancesChange) => void): ResponseObserver {
  return queryObserver(instancesChangeOf, listener);
}
