import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSpotFleetInstancesCommand,
  DescribeSpotFleetRequestsCommand,
  DescribeTagsCommand,
  ModifySpotFleetRequestCommand,
  TerminateInstancesCommand,
  type LaunchTemplateConfig,
} from '@aws-sdk/client-ec2';
import { DeregisterTargetsCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LAUNCH_TEMPLATE_VERSION_TAG } from '../../common/ec2-events.js';
import { CliError } from '../errors.js';
import type { Target } from '../target.js';
import { nextStep, outdated, ROLL_CAPACITY_TAG, type RollState, type RollStep } from './plan.js';


export interface RollOptions {
  /** @default 2000 on AWS, 250 locally */
  readonly pollMs?: number;
  /** Give up if one step makes no progress for this long. @default 900000 (15 min) */
  readonly stepTimeoutMs?: number;
  /** Each state read and the step taken on it, for the live display. */
  readonly onProgress?: (progress: RollProgress) => void;
  readonly signal?: AbortSignal;
}

export interface RollProgress {
  readonly state: RollState;
  readonly step: RollStep;
  /** Instances replaced by this run so far. */
  readonly replaced: readonly string[];
  readonly startedAt: number;
}

export interface RollReport {
  readonly fleetRequestId: string;
  readonly version: number;
  readonly replaced: readonly string[];
  /** False when stopped (Ctrl-C) before the fleet was all on the newest version. */
  readonly complete: boolean;
  readonly durationMs: number;
}

interface FleetConfig {
  readonly targetCapacity: number;
  readonly launchTemplateConfigs: LaunchTemplateConfig[];
}

async function readFleet(target: Target): Promise<FleetConfig> {
  const { ec2 } = target.clients;
  const id = target.facts.fleetRequestId;
  const out = await ec2.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: [id] }));
  const config = out.SpotFleetRequestConfigs?.[0]?.SpotFleetRequestConfig;
  if (!config) throw new CliError(`Spot Fleet request ${id} not found: is the stack deployed?`);
  const configs = config.LaunchTemplateConfigs ?? [];
  if (configs.length === 0 || !configs[0]?.LaunchTemplateSpecification?.LaunchTemplateId) {
    throw new CliError(`Spot Fleet request ${id} launches from no launch template (LaunchTemplateConfigs): roll needs one`);
  }
  return { targetCapacity: config.TargetCapacity ?? 0, launchTemplateConfigs: configs };
}

/** Reads everything the plan decides on, straight from AWS. */
export async function readRollState(target: Target): Promise<{ state: RollState; fleet: FleetConfig }> {
  const { ec2, elbv2 } = target.clients;
  const fleetRequestId = target.facts.fleetRequestId;
  const fleet = await readFleet(target);
  const spec = fleet.launchTemplateConfigs[0]!.LaunchTemplateSpecification!;
  const [templates, members, tags, health] = await Promise.all([
    ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [spec.LaunchTemplateId!] })),
    ec2.send(new DescribeSpotFleetInstancesCommand({ SpotFleetRequestId: fleetRequestId })),
    ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [fleetRequestId] }, { Name: 'key', Values: [ROLL_CAPACITY_TAG] }] })),
    elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: target.facts.targetGroupArn })),
  ]);
  const latest = templates.LaunchTemplates?.[0]?.LatestVersionNumber;
  if (latest === undefined) throw new CliError(`launch template ${spec.LaunchTemplateId} not found`);
  const ids = (members.ActiveInstances ?? []).map((i) => i.InstanceId!).filter(Boolean);
  const described =
    ids.length === 0
      ? []
      : ((await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids, Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }] })))
          .Reservations ?? []).flatMap((r) => r.Instances ?? []);
  const targetStates = new Map((health.TargetHealthDescriptions ?? []).map((d) => [d.Target?.Id, d.TargetHealth?.State]));
  const capacityTag = tags.Tags?.[0]?.Value;
  const state: RollState = {
    targetCapacity: fleet.targetCapacity,
    fleetVersion: spec.Version ?? '',
    latestVersion: latest,
    rollCapacity: capacityTag === undefined ? undefined : Number(capacityTag),
    instances: described.map((i) => {
      const version = i.Tags?.find((t) => t.Key === LAUNCH_TEMPLATE_VERSION_TAG)?.Value;
      return {
        instanceId: i.InstanceId!,
        version: version === undefined ? undefined : Number(version),
        launchTime: i.LaunchTime?.getTime() ?? 0,
        targetState: targetStates.get(i.InstanceId!),
      };
    }),
  };
  return { state, fleet };
}

/** Carries out one step. Each is safe to repeat: the next read shows whether it took effect. */
async function act(target: Target, step: RollStep, fleet: FleetConfig): Promise<void> {
  const { ec2, elbv2 } = target.clients;
  const SpotFleetRequestId = target.facts.fleetRequestId;
  switch (step.kind) {
    case 'point-fleet':
      // Same overrides, newer version: from now on every launch (replacements of interruptions included) uses it.
      await ec2.send(
        new ModifySpotFleetRequestCommand({
          SpotFleetRequestId,
          LaunchTemplateConfigs: fleet.launchTemplateConfigs.map((c) => ({
            ...c,
            LaunchTemplateSpecification: { LaunchTemplateId: c.LaunchTemplateSpecification!.LaunchTemplateId, Version: String(step.version) },
          })),
        }),
      );
      return;
    case 'begin':
      await ec2.send(new CreateTagsCommand({ Resources: [SpotFleetRequestId], Tags: [{ Key: ROLL_CAPACITY_TAG, Value: String(step.capacity) }] }));
      return;
    case 'raise-capacity':
      await ec2.send(new ModifySpotFleetRequestCommand({ SpotFleetRequestId, TargetCapacity: step.capacity }));
      return;
    case 'deregister':
      await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: target.facts.targetGroupArn, Targets: [{ Id: step.instanceId }] }));
      return;
    case 'terminate':
      // Capacity back first, without terminating anything (the fleet must not pick a victim of its own), then the
      // drained instance goes; the fleet, at its capacity, does not replace it.
      await ec2.send(new ModifySpotFleetRequestCommand({ SpotFleetRequestId, TargetCapacity: step.capacity, ExcessCapacityTerminationPolicy: 'noTermination' }));
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [step.instanceId] }));
      return;
    case 'finish':
      await ec2.send(new DeleteTagsCommand({ Resources: [SpotFleetRequestId], Tags: [{ Key: ROLL_CAPACITY_TAG }] }));
      return;
    case 'wait-replacement':
    case 'wait-drain':
    case 'done':
      return;
  }
}

/** What a step waits on, for the timeout message. */
function stepKey(step: RollStep): string {
  return JSON.stringify(step.kind === 'wait-replacement' ? { kind: step.kind, replacing: step.replacing } : step);
}

/**
 * Rolls the fleet onto its launch template's newest version, one instance at a time (see plan.ts). Re-running it
 * after an interruption carries on from the state AWS shows.
 */
export async function roll(target: Target, options: RollOptions = {}): Promise<RollReport> {
  const pollMs = options.pollMs ?? (target.kind === 'local' ? 250 : 2000);
  const stepTimeoutMs = options.stepTimeoutMs ?? 900_000;
  const startedAt = Date.now();
  const replaced: string[] = [];
  let lastKey = '';
  let since = Date.now();
  let version = 0;
  for (;;) {
    if (options.signal?.aborted) return { fleetRequestId: target.facts.fleetRequestId, version, replaced, complete: false, durationMs: Date.now() - startedAt };
    const { state, fleet } = await readRollState(target);
    version = state.latestVersion;
    const step = nextStep(state);
    options.onProgress?.({ state, step, replaced, startedAt });
    if (step.kind === 'done') break;
    const key = stepKey(step);
    if (key !== lastKey) {
      lastKey = key;
      since = Date.now();
    } else if (Date.now() - since > stepTimeoutMs) {
      throw new CliError(
        `roll made no progress for ${Math.round(stepTimeoutMs / 1000)} s at step ${step.kind} (${outdated(state).length} instances still outdated); ` +
          'check the fleet with `status`, then run roll again: it resumes from what AWS shows',
      );
    }
    await act(target, step, fleet);
    if (step.kind === 'terminate') replaced.push(step.instanceId);
    if (step.kind.startsWith('wait') || step.kind === 'raise-capacity' || step.kind === 'deregister' || step.kind === 'terminate') {
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  return { fleetRequestId: target.facts.fleetRequestId, version, replaced, complete: true, durationMs: Date.now() - startedAt };
}
