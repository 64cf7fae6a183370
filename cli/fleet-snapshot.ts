import {
  DescribeInstancesCommand,
  DescribeSpotFleetInstancesCommand,
  DescribeSpotFleetRequestsCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { FLEET_TAG, type LocalStatus } from '../local/contract.js';
import { CliError } from './errors.js';
import { readStackAlarms, type AlarmView } from './stack-alarms.js';
import type { Target } from './target.js';

/** ALB target health as a console shows it; `unused` = not registered (or just deregistered). */
export type TargetHealth = 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused' | 'unavailable';

export interface InstanceView {
  readonly instanceId: string;
  readonly availabilityZone: string;
  readonly instanceType: string;
  /** EC2 state: pending, running, shutting-down, stopping, stopped. */
  readonly state: string;
  readonly health: TargetHealth;
  readonly healthReason?: string;
  /** Seconds until a draining target's in-flight requests are cut (local cloud only: ELB does not say). */
  readonly drainingSecondsLeft?: number;
  /**
   * When the drain itself completed, ISO 8601 (local cloud only): with nothing in flight and no connection open ELB
   * completes a deregistration at once but shows the target `draining` until the deregistration delay ends.
   */
  readonly drainCompletedAt?: string;
  /** Requests the target has served (local cloud only). */
  readonly requests?: number;
  /** When a Spot interruption warning said the instance will be reclaimed (local cloud only). */
  readonly reclaimAt?: string;
  /** When that warning went out (local cloud only). */
  readonly warnedAt?: string;
}

/** The local ALB's listener counters since it started (local cloud only: on AWS, CloudWatch has them). */
export interface LoadBalancerCountersView {
  readonly received: number;
  readonly elb502: number;
  readonly elb503: number;
  readonly elb504: number;
}

export interface FleetSnapshot {
  readonly at: string;
  readonly target: 'aws' | 'local';
  readonly stackName: string;
  readonly url: string;
  readonly fleetRequestId: string;
  readonly fleetState: string;
  /** How the fleet chooses Spot capacity pools (e.g. capacityOptimized, priceCapacityOptimized). */
  readonly allocationStrategy?: string;
  readonly targetCapacity: number;
  readonly fulfilledCapacity: number;
  readonly instances: readonly InstanceView[];
  /** The topic's latest notifications, newest last (local cloud only: its inbox subscribes to the topic). */
  readonly notifications?: ReadonlyArray<{ readonly receivedAt: string; readonly subject?: string; readonly message: string }>;
  /** The local ALB's counters (local cloud only). */
  readonly loadBalancer?: LoadBalancerCountersView;
  /** The stack's CloudWatch alarms (DescribeAlarms, names prefixed with the stack name), alarming ones first. */
  readonly alarms?: readonly AlarmView[];
}

export type { AlarmView } from './stack-alarms.js';

const STATE_ORDER: Record<string, number> = { ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2 };

/** The stack's alarms as DescribeAlarms reports them (the same call on AWS and locally), ALARM first. */
export async function readAlarms(target: Target): Promise<AlarmView[]> {
  const alarms = await readStackAlarms(target.clients.cloudwatch, target.facts.stackName);
  return alarms.sort((a, b) => (STATE_ORDER[a.state] ?? 3) - (STATE_ORDER[b.state] ?? 3));
}

const LIVE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];
const NOTIFICATIONS_SHOWN = 5;

/** Reads the fleet, its instances and their target health through the AWS APIs (plus the local cloud's extras). */
export async function readFleetSnapshot(target: Target): Promise<FleetSnapshot> {
  const { ec2, elbv2 } = target.clients;
  const { fleetRequestId, targetGroupArn } = target.facts;
  const [requests, active, tagged, health, local] = await Promise.all([
    ec2.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: [fleetRequestId] })),
    ec2.send(new DescribeSpotFleetInstancesCommand({ SpotFleetRequestId: fleetRequestId })),
    ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${FLEET_TAG}`, Values: [fleetRequestId] }, { Name: 'instance-state-name', Values: LIVE_STATES }] })),
    elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
    target.localStatus?.(),
  ]);
  const alarms = await readAlarms(target);
  const config = requests.SpotFleetRequestConfigs?.[0];
  if (!config) throw new CliError(`Spot Fleet request ${fleetRequestId} (output of stack ${target.facts.stackName}) not found`);
  const byId = new Map<string, Instance>();
  for (const i of (tagged.Reservations ?? []).flatMap((r) => r.Instances ?? [])) byId.set(i.InstanceId!, i);
  // Instances the fleet lists but the tag query missed (the local cloud's first ones carry no fleet tag).
  const untagged = (active.ActiveInstances ?? []).map((a) => a.InstanceId!).filter((id) => id && !byId.has(id));
  if (untagged.length > 0) {
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: untagged }));
    for (const i of (described.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      if (LIVE_STATES.includes(i.State?.Name ?? '')) byId.set(i.InstanceId!, i);
    }
  }
  const elbHealth = new Map((health.TargetHealthDescriptions ?? []).map((d) => [d.Target?.Id ?? '', d.TargetHealth]));
  return fleetSnapshot({
    target: target.kind,
    stackName: target.facts.stackName,
    url: target.facts.url,
    fleetRequestId,
    fleetState: config.SpotFleetRequestState ?? 'unknown',
    allocationStrategy: config.SpotFleetRequestConfig?.AllocationStrategy,
    targetCapacity: config.SpotFleetRequestConfig?.TargetCapacity ?? 0,
    fulfilledCapacity: config.SpotFleetRequestConfig?.FulfilledCapacity,
    instances: [...byId.values()],
    elbHealth,
    local,
    alarms,
    now: Date.now(),
  });
}

/**
 * Joins what EC2 and ELB say into one view, the same on AWS and locally: the target's state is DescribeTargetHealth's
 * (a target it does not list is `unused`). Locally, the data plane adds what ELB does not say (seconds of drain
 * left, whether the drain already completed, requests served), only where it agrees with ELB's state.
 */
export function fleetSnapshot(input: {
  target: 'aws' | 'local';
  stackName: string;
  url: string;
  fleetRequestId: string;
  fleetState: string;
  allocationStrategy?: string;
  targetCapacity: number;
  fulfilledCapacity?: number;
  instances: readonly Instance[];
  elbHealth: ReadonlyMap<string, { State?: string; Reason?: string; Description?: string } | undefined>;
  local?: LocalStatus;
  alarms?: readonly AlarmView[];
  now: number;
}): FleetSnapshot {
  const dataPlane = new Map((input.local?.targets ?? []).map((t) => [t.id, t]));
  const warnings = new Map((input.local?.fleet.instances ?? []).map((i) => [i.instanceId, i]));
  const instances: InstanceView[] = input.instances
    .map((i): InstanceView => {
      const id = i.InstanceId!;
      const elb = input.elbHealth.get(id);
      const plane = dataPlane.get(id);
      const health = (elb?.State ?? 'unused') as TargetHealth;
      const reason = elb?.Reason;
      const drain = health === 'draining' && plane?.state === 'draining' ? plane : undefined;
      return {
        instanceId: id,
        availabilityZone: i.Placement?.AvailabilityZone ?? '',
        instanceType: i.InstanceType ?? '',
        state: i.State?.Name ?? 'unknown',
        health,
        ...(reason ? { healthReason: reason } : {}),
        ...(drain?.drainingUntil !== undefined ? { drainingSecondsLeft: Math.max(0, Math.round((drain.drainingUntil - input.now) / 100) / 10) } : {}),
        ...(drain?.drainCompletedAt !== undefined ? { drainCompletedAt: new Date(drain.drainCompletedAt).toISOString() } : {}),
        ...(plane ? { requests: plane.requests } : {}),
        ...(warnings.get(id)?.reclaimAt ? { reclaimAt: warnings.get(id)!.reclaimAt } : {}),
        ...(warnings.get(id)?.warnedAt ? { warnedAt: warnings.get(id)!.warnedAt } : {}),
      };
    })
    .sort((a, b) => a.availabilityZone.localeCompare(b.availabilityZone) || a.instanceId.localeCompare(b.instanceId));
  return {
    at: new Date(input.now).toISOString(),
    target: input.target,
    stackName: input.stackName,
    url: input.url,
    fleetRequestId: input.fleetRequestId,
    fleetState: input.fleetState,
    ...(input.allocationStrategy ? { allocationStrategy: input.allocationStrategy } : {}),
    targetCapacity: input.targetCapacity,
    // moto does not keep FulfilledCapacity; what runs is what is fulfilled (each instance weighs 1 here).
    fulfilledCapacity: input.fulfilledCapacity ?? instances.filter((i) => i.state === 'running').length,
    instances,
    ...(input.local ? { notifications: input.local.notifications.slice(-NOTIFICATIONS_SHOWN) } : {}),
    ...(input.local?.loadBalancer ? { loadBalancer: input.local.loadBalancer } : {}),
    ...(input.alarms ? { alarms: input.alarms } : {}),
  };
}
