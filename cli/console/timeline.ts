import type { FleetSnapshot, InstanceView, LoadBalancerCountersView } from '../fleet-snapshot.js';
import type { TimelineMarker, TrafficSample } from './view.js';

const IN_SERVICE = new Set(['initial', 'healthy', 'unhealthy']);
const ENDING = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

/**
 * What changed between two snapshots, as timeline markers stamped with the newer snapshot's time: an instance
 * that appeared (launch), a Spot interruption warning (a reclaim time appeared: the local cloud reports it;
 * on AWS EC2's APIs do not, so the deregistration the handler makes is the first sign there), a target that
 * left service (draining, or deregistered while the instance still runs), an instance shutting down or gone
 * (termination), a new target capacity (scaling).
 */
export function markersBetween(prev: FleetSnapshot, next: FleetSnapshot): TimelineMarker[] {
  const at = Date.parse(next.at);
  const markers: TimelineMarker[] = [];
  if (prev.targetCapacity !== next.targetCapacity) {
    markers.push({ at, kind: 'scaling', text: `target capacity ${prev.targetCapacity} → ${next.targetCapacity}` });
  }
  const before = new Map(prev.instances.map((i) => [i.instanceId, i]));
  const now = new Map(next.instances.map((i) => [i.instanceId, i]));
  for (const is of next.instances) {
    const was = before.get(is.instanceId);
    if (!was) {
      markers.push({ at, kind: 'launch', instanceId: is.instanceId, text: `${is.instanceId} launched (${is.instanceType}, ${is.availabilityZone})` });
      continue;
    }
    if (is.reclaimAt && !was.reclaimAt) {
      markers.push({ at, kind: 'warning', instanceId: is.instanceId, text: `${is.instanceId} Spot interruption warning (reclaim at ${is.reclaimAt})` });
    }
    if (leftService(was, is)) {
      const how = is.health === 'draining' ? 'target draining' : 'target deregistered (no longer in the target group)';
      markers.push({ at, kind: 'deregistration', instanceId: is.instanceId, text: `${is.instanceId} ${how}` });
    }
    if (ENDING.has(is.state) && !ENDING.has(was.state)) {
      markers.push({ at, kind: 'termination', instanceId: is.instanceId, text: `${is.instanceId} ${is.state}` });
    }
  }
  for (const was of prev.instances) {
    if (now.has(was.instanceId) || ENDING.has(was.state)) continue;
    markers.push({ at, kind: 'termination', instanceId: was.instanceId, text: `${was.instanceId} gone` });
  }
  return markers;
}

function leftService(was: InstanceView, is: InstanceView): boolean {
  return IN_SERVICE.has(was.health) && (is.health === 'draining' || is.health === 'unused');
}

/**
 * Requests and failed requests per second between two readings of the local ALB's counters. Failures are the
 * answers the load balancer gave itself (503 with nothing to route to, 502, 504), as ALB's
 * HTTPCode_ELB_5XX_Count counts them. Undefined when the counters went backwards (a restarted local cloud).
 */
export function albRate(prev: { at: number; counters: LoadBalancerCountersView }, next: { at: number; counters: LoadBalancerCountersView }): TrafficSample | undefined {
  const seconds = (next.at - prev.at) / 1000;
  const requests = next.counters.received - prev.counters.received;
  const failed = failures(next.counters) - failures(prev.counters);
  if (seconds <= 0 || requests < 0 || failed < 0) return undefined;
  return { at: next.at, source: 'alb', requestsPerSecond: requests / seconds, failedPerSecond: failed / seconds };
}

function failures(c: LoadBalancerCountersView): number {
  return c.elb502 + c.elb503 + c.elb504;
}

/** Keeps what falls inside the window ending at `now`, oldest first. */
export function withinWindow<T extends { readonly at: number }>(items: readonly T[], now: number, windowMs: number): T[] {
  return items.filter((i) => i.at >= now - windowMs);
}
