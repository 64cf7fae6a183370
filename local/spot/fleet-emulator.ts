import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeSpotFleetInstancesCommand,
  DescribeSpotFleetRequestsCommand,
  type EC2Client,
  type Filter,
  type Instance,
  RunInstancesCommand,
  type SpotFleetLaunchSpecification,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  type ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventEmitter } from 'node:events';
import {
  type AwsEvent,
  ec2Event,
  FLEET_TAG,
  INTERRUPTION_WARNING,
  LAUNCH_TEMPLATE_ID_TAG,
  LAUNCH_TEMPLATE_VERSION_TAG,
  REBALANCE_RECOMMENDATION,
  type SpotAction,
  SPOT_WARNING_MS,
} from '../../common/ec2-events.js';
import type { SimulatedClock } from '../clock.js';
import type { FleetModification } from './fleet-calls.js';
import { InstanceHost } from '../instances/instance-host.js';
import type { LaunchTemplateImages } from '../instances/launch-template-images.js';
import type { FleetView } from './fleet-api.js';
import { type PooledInstance, planFleet, poolOf } from './fleet-plan.js';
import { type CapacityRebalance, rebalanceResponse } from './rebalance.js';

/**
 * Between a reclaimed host going dark and EC2 reporting the instance terminated (shutting-down lasts seconds to
 * tens of seconds on AWS). Meanwhile nothing tells the load balancer: only its health checks notice the dead
 * host, which is exactly the gap the interruption handler exists to close. A modelled value, scaled like the rest.
 */
export const SHUTTING_DOWN_MS = 20_000;

export interface SpotFleetEmulatorProps {
  readonly ec2: EC2Client;
  readonly elbv2: ElasticLoadBalancingV2Client;
  /**
   * Clients acting as the fleet's `IamFleetRole`, for the calls Spot Fleet makes with that role: RunInstances (and
   * its tags at launch), RegisterTargets for LoadBalancersConfig, and TerminateInstances where the fleet itself ends
   * an instance (capacity rebalancing). A reclaim and an instance's own shutdown are EC2's doing, and reading the
   * fleet's state is the Spot service's bookkeeping: those use `ec2`. ("Spot Fleet permissions",
   * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-fleet-prerequisites.html#spot-fleet-prerequisites)
   * @default `ec2` and `elbv2`
   */
  readonly fleetRole?: { readonly ec2: EC2Client; readonly elbv2: ElasticLoadBalancingV2Client };
  readonly fleetRequestId: string;
  /**
   * The fleet's launch specifications, one per (instance type, subnet) pool, as the deployer expanded them from
   * the launch template and its overrides (moto keeps only part of them).
   */
  readonly launchSpecifications: readonly SpotFleetLaunchSpecification[];
  /** Where instances are registered once they serve (the fleet's LoadBalancersConfig). */
  readonly targetGroupArns: readonly string[];
  readonly region: string;
  readonly account: string;
  /** The fleet's launch template and the version it launches (its LaunchTemplateConfigs). */
  readonly launchTemplate: { readonly id: string; readonly version: string };
  /** Each launch template version's instance app and systemd unit, from its user data. */
  readonly images: LaunchTemplateImages;
  /** Keeps the warning period, the shutting-down time and the instance app's poll interval. */
  readonly clock: SimulatedClock;
  /** The instance app's Spot watcher interval, in AWS time. @default 5000 */
  readonly spotPollIntervalMs?: number;
  /** Run the instance app's own Spot watcher. @default true */
  readonly spotWatcher?: boolean;
  /** The fleet's `SpotMaintenanceStrategies.CapacityRebalance`. @default none (recommendations change nothing) */
  readonly capacityRebalance?: CapacityRebalance;
  /**
   * How often the fleet's state is read from moto, to catch changes made behind the gateway's back (every
   * ModifySpotFleetRequest and instance state change through it nudges a read at once). @default 2000
   */
  readonly pollMs?: number;
  /** Sends an event to the local EventBridge. */
  readonly publishEvent: (event: AwsEvent) => Promise<void>;
  readonly onLog?: (line: string) => void;
}

export interface FleetEmulatorEvents {
  launched: [{ instanceId: string; instanceType: string; availabilityZone: string }];
  serving: [{ instanceId: string }];
  /** `reason`: why the Spot service reclaims it, when the fleet decided it (excess capacity), for the log. */
  warned: [{ instanceId: string; action: SpotAction; reclaimAt: Date; reason?: string }];
  'rebalance-recommended': [{ instanceId: string; replaced: boolean; terminateAt?: Date }];
  terminated: [{ instanceId: string }];
  /** The instance powered itself off (its app given up on); with shutdown behaviour terminate, it terminates. */
  'powered-off': [{ instanceId: string; reason: string }];
  error: [Error];
}

interface Member {
  readonly instance: Instance;
  host?: InstanceHost;
  reclaimAt?: Date;
  reclaimTimer?: NodeJS.Timeout;
  /** Capacity rebalancing is replacing it: no longer counted in the fleet's capacity. */
  rebalancing?: { readonly terminateAfterMs?: number; replacementLaunched: boolean; terminateAt?: Date };
}

const LIVE_STATES = new Set(['pending', 'running']);
// The complement of LIVE_STATES: together they cover every EC2 instance state.
const ENDED_STATES = ['shutting-down', 'terminated', 'stopping', 'stopped'];

/**
 * Plays the Spot service for one `maintain` fleet in moto: launches to target capacity across pools, boots
 * each instance's app, registers it in the target groups, and reclaims instances the way AWS does: an
 * interruption warning (IMDS notice + EventBridge event), then termination when the warning period ends.
 */
export class SpotFleetEmulator extends EventEmitter<FleetEmulatorEvents> {
  private readonly members = new Map<string, Member>();
  /** Instances this fleet has reclaimed: never adopted again, even while moto still lists them running. */
  private readonly retired = new Set<string>();
  /** Reclaimed instances between the host going dark and EC2's `terminated`: EC2 says `shutting-down`. */
  private readonly shuttingDownIds = new Set<string>();
  private policy: FleetModification['excessCapacityTerminationPolicy'] = 'default';
  private lastPlanKey = '';
  private timer?: NodeJS.Timeout;
  private reconciling?: Promise<void>;
  private again = false;
  private stopped = false;
  private targetCapacity = 0;
  private launchTemplateVersion: string;

  constructor(private readonly props: SpotFleetEmulatorProps) {
    super();
    this.launchTemplateVersion = props.launchTemplate.version;
  }

  /** The launch template version the fleet launches from now on (a ModifySpotFleetRequest's LaunchTemplateConfigs). */
  setLaunchTemplateVersion(version: string): void {
    this.launchTemplateVersion = version;
  }

  /** The fleet's LaunchTemplateConfigs as DescribeSpotFleetRequests shows them on AWS. */
  get launchTemplateSpecification(): { readonly launchTemplateId: string; readonly version: string } {
    return { launchTemplateId: this.props.launchTemplate.id, version: this.launchTemplateVersion };
  }

  /** Reads the fleet, boots what moto launched at request time, and starts following changes. */
  async start(): Promise<void> {
    // Through nudge, so a change announced while this first read runs queues behind it instead of racing it.
    await this.nudge();
    const pollMs = this.props.pollMs ?? 2000;
    const tick = (): void => {
      if (this.stopped) return;
      this.nudge()
        .catch((err: Error) => this.emit('error', err))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, pollMs);
        });
    };
    this.timer = setTimeout(tick, pollMs);
  }

  /** A ModifySpotFleetRequest went through the gateway: remember the caller's policy and look now. */
  onModification(modification: FleetModification): void {
    if (modification.spotFleetRequestId !== this.props.fleetRequestId) return;
    this.policy = modification.excessCapacityTerminationPolicy;
    this.lookNow();
  }

  /** An instance was terminated, stopped or started through the gateway: look now. */
  onInstancesChanged(): void {
    this.lookNow();
  }

  private lookNow(): void {
    void this.nudge().catch((err: Error) => this.emit('error', err));
  }

  /** Runs a reconcile now, or right after the one under way. */
  nudge(): Promise<void> {
    if (this.reconciling) {
      this.again = true;
      return this.reconciling;
    }
    this.reconciling = (async () => {
      try {
        do {
          this.again = false;
          await this.reconcile();
        } while (this.again && !this.stopped);
      } finally {
        this.reconciling = undefined;
      }
    })();
    return this.reconciling;
  }

  /** Instances the fleet holds, with where their app listens. */
  instances(): Array<{ instanceId: string; instanceType: string; availabilityZone: string; address?: { host: string; port: number }; reclaimAt?: Date }> {
    return [...this.members.values()].map((m) => ({
      instanceId: m.instance.InstanceId!,
      instanceType: m.instance.InstanceType!,
      availabilityZone: m.instance.Placement?.AvailabilityZone ?? '',
      address: m.host?.address,
      reclaimAt: m.reclaimAt,
    }));
  }

  /** The fleet as EC2's API should describe it (local/spot/fleet-api.ts). */
  view(): FleetView {
    const weights = new Map(this.props.launchSpecifications.map((s) => [poolOf(s.InstanceType!, s.SubnetId!), s.WeightedCapacity ?? 1]));
    return {
      fleetRequestId: this.props.fleetRequestId,
      live: () =>
        [...this.members.values()].map((m) => ({
          instanceId: m.instance.InstanceId!,
          instanceType: m.instance.InstanceType ?? '',
          weight: weights.get(poolOf(m.instance.InstanceType ?? '', m.instance.SubnetId ?? '')) ?? 1,
        })),
      shuttingDown: () => new Set(this.shuttingDownIds),
      terminated: () => new Set([...this.retired].filter((id) => !this.shuttingDownIds.has(id))),
    };
  }

  get capacity(): number {
    return this.targetCapacity;
  }

  /** The address of an instance's app, for the load balancer. */
  resolve(instanceId: string): { host: string; port: number } | undefined {
    return this.members.get(instanceId)?.host?.address;
  }

  /** Sends one instance the interruption warning and terminates it when the warning period ends. */
  interrupt(instanceId: string, action: SpotAction = 'terminate', reason?: string): Date {
    const member = this.members.get(instanceId);
    if (!member) throw new Error(`${instanceId} is not an instance of fleet ${this.props.fleetRequestId}`);
    if (member.reclaimAt) return member.reclaimAt;
    const reclaimAt = new Date(this.props.clock.now() + this.props.clock.toReal(SPOT_WARNING_MS));
    member.reclaimAt = reclaimAt;
    member.host?.warn(action, reclaimAt);
    this.emit('warned', { instanceId, action, reclaimAt, ...(reason !== undefined && { reason }) });
    void this.props
      .publishEvent(this.interruptionEvent(instanceId, action))
      .catch((err: Error) => this.emit('error', new Error(`EventBridge delivery for ${instanceId} failed: ${err.message}`)));
    member.reclaimTimer = setTimeout(() => {
      void this.terminate(instanceId).catch((err: Error) => this.emit('error', err));
    }, reclaimAt.getTime() - this.props.clock.now());
    return reclaimAt;
  }

  /**
   * An "EC2 Instance Rebalance Recommendation" for one instance: IMDS shows it, the event goes to EventBridge, and
   * the fleet answers as its capacity rebalancing says (see rebalance.ts): a replacement launched at once, the old
   * instance terminated after the termination delay (launch-before-terminate) or kept (launch).
   */
  recommendRebalance(instanceId: string): void {
    const member = this.members.get(instanceId);
    if (!member) throw new Error(`${instanceId} is not an instance of fleet ${this.props.fleetRequestId}`);
    // AWS sends a recommendation once per instance; one already being replaced or reclaimed gets nothing new.
    if (member.rebalancing || member.reclaimAt) return;
    const now = new Date();
    member.host?.recommendRebalance(now);
    void this.props
      .publishEvent(ec2Event({ detailType: REBALANCE_RECOMMENDATION, instanceId, region: this.props.region, account: this.props.account }))
      .catch((err: Error) => this.emit('error', new Error(`EventBridge delivery for ${instanceId} failed: ${err.message}`)));
    const response = rebalanceResponse(this.props.capacityRebalance);
    this.emit('rebalance-recommended', { instanceId, replaced: response.replace });
    if (!response.replace) return;
    member.rebalancing = { terminateAfterMs: response.terminateAfterMs, replacementLaunched: false };
    this.lookNow();
  }

  /**
   * AWS counts `TerminationDelay` from the replacement's launch: each launch starts the delay of the oldest
   * instance still waiting for its replacement.
   */
  private replacementLaunched(): void {
    const waiting = [...this.members.entries()].find(([, m]) => m.rebalancing && !m.rebalancing.replacementLaunched);
    if (!waiting) return;
    const [instanceId, member] = waiting;
    const rebalancing = member.rebalancing!;
    rebalancing.replacementLaunched = true;
    const delay = rebalancing.terminateAfterMs;
    // launch: the old instance keeps running, outside the fleet's count, until someone terminates it.
    if (delay === undefined) return;
    const realDelay = this.props.clock.toReal(delay);
    rebalancing.terminateAt = new Date(this.props.clock.now() + realDelay);
    member.reclaimTimer = setTimeout(() => {
      void this.terminate(instanceId, 'capacity rebalancing, launch-before-terminate', this.asFleetRole.ec2).catch((err: Error) => this.emit('error', err));
    }, realDelay);
  }

  /**
   * Fault injection: breaks an instance's app for good (every start fails from now on). systemd restarts it until
   * its start limit, then powers the instance off, which terminates it (see `powerOff`).
   */
  breakApp(instanceId: string): void {
    const member = this.members.get(instanceId);
    if (!member?.host) throw new Error(`${instanceId} is not a running instance of fleet ${this.props.fleetRequestId}`);
    member.host.breakApp();
  }

  /**
   * The OS powered off. The launch template sets InstanceInitiatedShutdownBehavior=terminate, so EC2 terminates
   * the instance (shutting-down, then terminated) and the `maintain` fleet replaces it, as after a reclaim. No
   * interruption warning: nothing tells the load balancer but its health checks.
   */
  private powerOff(instanceId: string, reason: string): void {
    this.emit('powered-off', { instanceId, reason });
    void this.terminate(instanceId, 'instance-initiated shutdown').catch((err: Error) => this.emit('error', err));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.reconciling?.catch(() => undefined);
    await Promise.all(
      [...this.members.values()].map(async (m) => {
        clearTimeout(m.reclaimTimer);
        await m.host?.stop(true);
      }),
    );
  }

  private interruptionEvent(instanceId: string, action: SpotAction): AwsEvent {
    const { region, account } = this.props;
    return ec2Event({ detailType: INTERRUPTION_WARNING, instanceId, region, account, detail: { 'instance-action': action } });
  }

  /**
   * Asks EC2, as the fleet's role, whether it may launch this instance (RunInstances with DryRun: moto authorizes
   * the call, then answers DryRunOperation). When it may not, the instance moto launched is ended and the refusal
   * reported, as AWS reports a fleet that cannot launch; the fleet keeps trying, as AWS does.
   */
  private async fleetRoleMayLaunch(instance: Instance): Promise<boolean> {
    if (!this.props.fleetRole) return true;
    try {
      await this.props.fleetRole.ec2.send(
        new RunInstancesCommand({
          DryRun: true,
          LaunchTemplate: { LaunchTemplateId: this.props.launchTemplate.id, Version: this.launchTemplateVersion },
          InstanceType: instance.InstanceType,
          SubnetId: instance.SubnetId,
          MinCount: 1,
          MaxCount: 1,
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'DryRunOperation') return true;
      // Only a refusal says the role cannot launch; a throttle, a 5xx or a reset says nothing (the adoption is
      // tried again on the next reconcile).
      if (!/^(UnauthorizedOperation|AccessDenied)/.test((err as Error).name)) throw err;
      this.retired.add(instance.InstanceId!);
      await this.props.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
      this.emit('error', new Error(`the fleet's IamFleetRole cannot launch (${(err as Error).name}: ${(err as Error).message}); ${instance.InstanceId} not started`));
      return false;
    }
  }

  private get asFleetRole(): { readonly ec2: EC2Client; readonly elbv2: ElasticLoadBalancingV2Client } {
    return this.props.fleetRole ?? { ec2: this.props.ec2, elbv2: this.props.elbv2 };
  }

  /** `by`: EC2 itself (a reclaim, a shutdown) unless the fleet ends the instance with its role. */
  private async terminate(instanceId: string, cause = 'Spot reclaim', by: EC2Client = this.props.ec2): Promise<void> {
    const member = this.members.get(instanceId);
    if (!member) return;
    // The host is gone from here on: nothing routes to it any more.
    this.retired.add(instanceId);
    this.members.delete(instanceId);
    this.shuttingDownIds.add(instanceId);
    try {
      // The OS sees the shutdown coming (systemd sends SIGTERM), then the host is gone.
      await member.host?.stop(true);
      await this.props.clock.sleep(SHUTTING_DOWN_MS);
      if (this.stopped) return;
      // moto, like ELB for a terminated instance, then drops it from its target groups.
      await by.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    } finally {
      this.shuttingDownIds.delete(instanceId);
    }
    this.props.onLog?.(`${instanceId} terminated (${cause})`);
    this.emit('terminated', { instanceId });
    await this.nudge();
  }

  private async readFleet(): Promise<{ targetCapacity: number; ids: string[] }> {
    const { ec2, fleetRequestId } = this.props;
    const described = await ec2.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: [fleetRequestId] }));
    const config = described.SpotFleetRequestConfigs?.[0]?.SpotFleetRequestConfig;
    if (!config) throw new Error(`Spot Fleet request ${fleetRequestId} not found`);
    const fleetInstances = await ec2.send(new DescribeSpotFleetInstancesCommand({ SpotFleetRequestId: fleetRequestId }));
    const ids = (fleetInstances.ActiveInstances ?? []).map((i) => i.InstanceId!).filter(Boolean);
    return { targetCapacity: config.TargetCapacity ?? 0, ids };
  }

  /**
   * What changed among `ids`: members that are no longer live, and live instances not seen before. A member's
   * state is only ever news when it ended, and an unseen instance only when it is live, so moto is asked for
   * just those (filtered calls that usually match nothing): rendering every live member on each poll made moto
   * the local cloud's busiest process.
   */
  private async describeChanges(ids: string[]): Promise<Instance[]> {
    const known = ids.filter((id) => this.members.has(id));
    const unseen = ids.filter((id) => !this.members.has(id));
    const [ended, fresh] = await Promise.all([
      this.describe(known, [{ Name: 'instance-state-name', Values: ENDED_STATES }]),
      this.describe(unseen, [{ Name: 'instance-state-name', Values: [...LIVE_STATES] }]),
    ]);
    return [...ended, ...fresh];
  }

  private async describe(ids: string[], filters?: Filter[]): Promise<Instance[]> {
    if (ids.length === 0) return [];
    const out = await this.props.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids, Filters: filters }));
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  }

  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    const fleet = await this.readFleet();
    this.targetCapacity = fleet.targetCapacity;
    // moto lists the instances it launched itself; the ones this emulator launched carry the fleet tag.
    const ids = [...new Set([...fleet.ids, ...this.members.keys()])].filter((id) => !this.retired.has(id));
    const described = await this.describeChanges(ids);
    for (const instance of described) {
      const id = instance.InstanceId!;
      const live = LIVE_STATES.has(instance.State?.Name ?? '');
      const member = this.members.get(id);
      if (!live) {
        if (member) {
          // Terminated behind the fleet's back (a user, a script): the host goes with it.
          clearTimeout(member.reclaimTimer);
          await member.host?.stop(false);
          this.members.delete(id);
          // Its target health is `unused` / Target.InvalidState from now on (local/alb/target-health-api.ts).
          if (instance.State?.Name === 'terminated') this.retired.add(id);
          this.emit('terminated', { instanceId: id });
        }
        continue;
      }
      // Checked again here: a reclaim may have retired the instance while this reconcile was reading moto.
      if (!member && !this.retired.has(id)) await this.adopt(instance);
    }

    const active: PooledInstance[] = [...this.members.values()]
      .filter((m) => !m.reclaimAt && !m.rebalancing)
      .map((m) => ({ id: m.instance.InstanceId!, pool: poolOf(m.instance.InstanceType!, m.instance.SubnetId!), launchTime: m.instance.LaunchTime?.getTime() ?? 0 }));
    const specs = this.props.launchSpecifications;
    const pools = specs.map((s) => poolOf(s.InstanceType!, s.SubnetId!));
    const plan = planFleet({ targetCapacity: fleet.targetCapacity, active, pools, excessCapacityTerminationPolicy: this.policy });
    // Act on a plan only when two consecutive reads agree: reading the capacity and the instances are separate
    // calls, and a modification landing between them must not launch or reclaim on a half-read state.
    const key = JSON.stringify(plan);
    const stable = key === this.lastPlanKey;
    this.lastPlanKey = key;
    if (!stable || (plan.launch.length === 0 && plan.reclaim.length === 0)) {
      if (!stable) this.again = true;
      return;
    }
    this.lastPlanKey = '';
    for (const instanceId of plan.reclaim) {
      this.interrupt(instanceId, 'terminate', `excess capacity: ${active.length} active for target capacity ${fleet.targetCapacity}`);
    }
    for (const pool of plan.launch) {
      const spec = specs.find((s) => poolOf(s.InstanceType!, s.SubnetId!) === pool)!;
      await this.launch(spec);
      this.replacementLaunched();
    }
  }

  private async launch(spec: SpotFleetLaunchSpecification): Promise<void> {
    const out = await this.asFleetRole.ec2.send(
      new RunInstancesCommand({
        // From the launch template version the fleet launches (AMI, user data); EC2 tags the instance with the
        // template's id and version. The pool (type, subnet) and what moto drops come from the specification.
        LaunchTemplate: { LaunchTemplateId: this.props.launchTemplate.id, Version: this.launchTemplateVersion },
        InstanceType: spec.InstanceType,
        SubnetId: spec.SubnetId,
        IamInstanceProfile: spec.IamInstanceProfile?.Arn ? { Arn: spec.IamInstanceProfile.Arn } : undefined,
        SecurityGroupIds: (spec.SecurityGroups ?? []).map((g) => g.GroupId!).filter(Boolean),
        MinCount: 1,
        MaxCount: 1,
        InstanceMarketOptions: { MarketType: 'spot' },
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              ...(spec.TagSpecifications ?? []).filter((t) => t.ResourceType === 'instance').flatMap((t) => t.Tags ?? []),
              { Key: FLEET_TAG, Value: this.props.fleetRequestId },
            ],
          },
        ],
      }),
    );
    for (const instance of out.Instances ?? []) await this.adopt(instance);
  }

  private async adopt(instance: Instance): Promise<void> {
    const id = instance.InstanceId!;
    // moto launched it itself, as the caller of RequestSpotFleet / ModifySpotFleetRequest; on AWS the fleet launches
    // with its role, so an instance its role could not have launched does not exist.
    if (!instance.Tags?.some((t) => t.Key === FLEET_TAG) && !(await this.fleetRoleMayLaunch(instance))) return;
    const member: Member = { instance };
    this.members.set(id, member);
    // moto launches a fleet's first instances and its scale-outs itself, from launch specifications: the Spot
    // service launches from the template version the fleet names, and EC2 tags what it launches from a template.
    // Such an instance is dressed as that version's (tags, app); moto still reports its deploy-time AMI.
    const tags: Array<{ Key: string; Value: string }> = [];
    if (!instance.Tags?.some((t) => t.Key === FLEET_TAG)) tags.push({ Key: FLEET_TAG, Value: this.props.fleetRequestId });
    let version = instance.Tags?.find((t) => t.Key === LAUNCH_TEMPLATE_VERSION_TAG)?.Value;
    if (version === undefined) {
      version = (await this.props.images.forVersion(this.launchTemplateVersion)).version;
      tags.push({ Key: LAUNCH_TEMPLATE_ID_TAG, Value: this.props.launchTemplate.id }, { Key: LAUNCH_TEMPLATE_VERSION_TAG, Value: version });
    }
    // The fleet tags what it launches with its own role (the role's ec2:CreateTags).
    if (tags.length > 0) await this.asFleetRole.ec2.send(new CreateTagsCommand({ Resources: [id], Tags: tags }));
    const image = await this.props.images.forVersion(version);
    const availabilityZone = instance.Placement?.AvailabilityZone ?? `${this.props.region}a`;
    this.emit('launched', { instanceId: id, instanceType: instance.InstanceType ?? '', availabilityZone });
    const host = new InstanceHost({
      identity: { instanceId: id, availabilityZone, instanceType: instance.InstanceType ?? '', lifecycle: 'spot' },
      appPath: image.appPath,
      environment: image.environment,
      // The app accepts no interval under 10 ms.
      spotPollIntervalMs: Math.max(10, Math.round(this.props.clock.toReal(this.props.spotPollIntervalMs ?? 5000))),
      spotWatcher: this.props.spotWatcher ?? true,
      service: image.servicePolicy,
      onPowerOff: (reason) => this.powerOff(id, reason),
      onLog: this.props.onLog,
    });
    member.host = host;
    await host.start();
    // What LoadBalancersConfig does on AWS: the fleet registers each instance it launches.
    for (const arn of this.props.targetGroupArns) {
      await this.asFleetRole.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: id }] }));
    }
    this.emit('serving', { instanceId: id });
  }
}
