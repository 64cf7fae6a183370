import { ModifySpotFleetRequestCommand } from '@aws-sdk/client-ec2';
import { CliError } from '../errors.js';
import { readFleetSnapshot, type FleetSnapshot } from '../fleet-snapshot.js';
import type { Target } from '../target.js';
import { sleep } from '../screen.js';
import { experimentState, startFisInterruption } from './fis.js';
import { checkFleet, chooseInstances, interruptedSince, observe, reducedCapacity, reportInterruption, type Interruption, type ReportedInterruption } from './plan.js';

export interface InterruptOptions {
  /** How many instances (capacity reduction, or FIS targets when none are named). */
  readonly by: number;
  /** Instances to interrupt (FIS only: reducing capacity lets the fleet choose). */
  readonly instances?: readonly string[];
  readonly fis?: boolean;
  /** The fleet the user believes they are touching; refused unless it is the stack's. */
  readonly fleet?: string;
  readonly roleArn?: string;
  /** ISO 8601 duration FIS waits before interrupting (2 to 15 minutes). @default PT2M */
  readonly durationBeforeInterruption?: string;
  /** @default 1000 on AWS, 200 locally */
  readonly pollMs?: number;
  /** Give up following after this long. @default 600000 */
  readonly timeoutMs?: number;
  /** Every poll while following, for the live display. */
  readonly onProgress?: (snapshot: FleetSnapshot, followed: readonly Interruption[], startedAt: number) => void;
  readonly signal?: AbortSignal;
}

export interface InterruptReport {
  readonly method: 'capacity' | 'fis';
  readonly stackName: string;
  readonly fleetRequestId: string;
  readonly capacity: { readonly from: number; readonly to: number };
  readonly experimentId?: string;
  readonly experimentStatus?: string;
  readonly instances: readonly ReportedInterruption[];
  /** True when every interrupted instance was followed until it was gone. */
  readonly complete: boolean;
  /** ISO 8601, as the instances' step times. */
  readonly startedAt: string;
  readonly durationMs: number;
}

/**
 * Interrupts Spot instances of the stack's fleet and follows them until they are gone: the workshop's way
 * (lower the fleet's target capacity; the fleet picks), or FIS's Spot interruption action on chosen instances.
 */
export async function interrupt(target: Target, options: InterruptOptions): Promise<InterruptReport> {
  const { facts } = target;
  checkFleet(options.fleet, facts.fleetRequestId, facts.stackName);
  const asked = options.instances ?? [];
  if (asked.length > 0 && !options.fis) {
    throw new CliError('--instance needs --fis: lowering the capacity lets the fleet choose which instance goes; FIS can target one', 2);
  }
  const pollMs = options.pollMs ?? (target.kind === 'local' ? 200 : 1000);
  const before = await readFleetSnapshot(target);
  const startedAt = Date.now();
  const followed = new Map<string, Interruption>();
  let capacity = { from: before.targetCapacity, to: before.targetCapacity };
  let experiment: { experimentId: string; cleanup: () => Promise<void> } | undefined;
  let expected: number;
  if (options.fis) {
    const chosen = chooseInstances(before, asked, options.by);
    for (const id of chosen) followed.set(id, { instanceId: id });
    expected = chosen.length;
    experiment = await startFisInterruption(target, {
      instanceIds: chosen,
      roleArn: options.roleArn,
      durationBeforeInterruption: options.durationBeforeInterruption ?? 'PT2M',
    });
  } else {
    capacity = { from: before.targetCapacity, to: reducedCapacity(before.targetCapacity, options.by) };
    await target.clients.ec2.send(new ModifySpotFleetRequestCommand({ SpotFleetRequestId: facts.fleetRequestId, TargetCapacity: capacity.to }));
    expected = Math.min(options.by, before.instances.length);
  }
  let experimentStatus: string | undefined;
  try {
    const until = startedAt + (options.timeoutMs ?? 600_000);
    for (;;) {
      const now = await readFleetSnapshot(target);
      for (const id of interruptedSince(before, now)) if (!followed.has(id)) followed.set(id, { instanceId: id });
      observe(followed, now);
      if (experiment) {
        const state = await experimentState(target, experiment.experimentId);
        experimentStatus = state.status;
        if (state.status === 'failed' || state.status === 'stopped') {
          throw new CliError(`FIS experiment ${experiment.experimentId} ${state.status}${state.reason ? `: ${state.reason}` : ''}`);
        }
      }
      options.onProgress?.(now, [...followed.values()], startedAt);
      const all = [...followed.values()];
      if (all.length >= expected && all.every((f) => f.goneAt !== undefined)) break;
      if (Date.now() > until || options.signal?.aborted) break;
      await sleep(pollMs, options.signal);
    }
  } finally {
    await experiment?.cleanup();
  }
  const instances = [...followed.values()].map(reportInterruption);
  return {
    method: options.fis ? 'fis' : 'capacity',
    stackName: facts.stackName,
    fleetRequestId: facts.fleetRequestId,
    capacity,
    ...(experiment ? { experimentId: experiment.experimentId, experimentStatus } : {}),
    instances,
    complete: instances.length >= expected && instances.every((i) => i.goneAt !== undefined),
    startedAt: new Date(startedAt).toISOString(),
    durationMs: Date.now() - startedAt,
  };
}
