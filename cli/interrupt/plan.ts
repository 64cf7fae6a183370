import { CliError } from '../errors.js';
import type { FleetSnapshot, InstanceView } from '../fleet-snapshot.js';

/** The target capacity after reducing by `by`; never below 1, which would take the site down. */
export function reducedCapacity(current: number, by: number): number {
  if (!Number.isInteger(by) || by < 1) throw new CliError(`--by must be a whole number of at least 1, got ${by}`, 2);
  const next = current - by;
  if (next < 1) {
    throw new CliError(
      `refusing to reduce the fleet's target capacity from ${current} by ${by}: at least 1 instance must keep serving, so --by can be at most ${current - 1} here`,
      2,
    );
  }
  return next;
}

/** Refuses a fleet that is not the stack's own. */
export function checkFleet(requested: string | undefined, stackFleet: string, stackName: string): void {
  if (requested !== undefined && requested !== stackFleet) {
    throw new CliError(`refusing to touch Spot Fleet ${requested}: it is not stack ${stackName}'s fleet (${stackFleet})`);
  }
}

/** The instances FIS should interrupt: the ones asked for (each must be the fleet's), or `by` serving ones. */
export function chooseInstances(snapshot: FleetSnapshot, asked: readonly string[], by: number): string[] {
  const live = snapshot.instances.filter((i) => i.state === 'running' && !i.reclaimAt);
  if (asked.length > 0) {
    for (const id of asked) {
      if (!snapshot.instances.some((i) => i.instanceId === id)) {
        throw new CliError(`refusing to interrupt ${id}: it is not a running instance of stack ${snapshot.stackName}'s fleet ${snapshot.fleetRequestId}`);
      }
    }
  }
  const count = asked.length > 0 ? asked.length : by;
  if (!Number.isInteger(count) || count < 1) throw new CliError(`--by must be a whole number of at least 1, got ${by}`, 2);
  if (live.length - count < 1) {
    throw new CliError(`refusing to interrupt ${count} of ${live.length} serving instance(s): at least 1 must keep serving`, 2);
  }
  if (asked.length > 0) return [...asked];
  // Healthy ones first: interrupting one still starting proves nothing about draining.
  const rank = (i: InstanceView): number => (i.health === 'healthy' ? 0 : 1);
  return [...live].sort((a, b) => rank(a) - rank(b) || a.instanceId.localeCompare(b.instanceId)).slice(0, count).map((i) => i.instanceId);
}

/** What has been seen of one interrupted instance, as epoch ms. */
export interface Interruption {
  readonly instanceId: string;
  warnedAt?: number;
  drainingAt?: number;
  /** Its target left the target group (ELB: `unused`) while the instance still ran. */
  deregisteredAt?: number;
  goneAt?: number;
}

/** One interrupted instance in a report: its steps as ISO 8601 times, as `status --json` gives times. */
export interface ReportedInterruption {
  readonly instanceId: string;
  readonly warnedAt?: string;
  readonly drainingAt?: string;
  readonly deregisteredAt?: string;
  readonly goneAt?: string;
  readonly drained: boolean;
}

const STEPS = ['warnedAt', 'drainingAt', 'deregisteredAt', 'goneAt'] as const;

export function reportInterruption(i: Interruption): ReportedInterruption {
  const steps = Object.fromEntries(STEPS.flatMap((k) => (i[k] === undefined ? [] : [[k, new Date(i[k]!).toISOString()]])));
  return { instanceId: i.instanceId, ...steps, drained: drained(i) };
}

export function fromReport(r: ReportedInterruption): Interruption {
  const steps = Object.fromEntries(STEPS.flatMap((k) => (r[k] === undefined ? [] : [[k, Date.parse(r[k]!)]])));
  return { instanceId: r.instanceId, ...steps };
}

/** True once the instance is out of the load balancer before it disappeared: users were not sent to it. */
export function drained(i: Interruption): boolean {
  const out = i.drainingAt ?? i.deregisteredAt;
  return out !== undefined && (i.goneAt === undefined || out <= i.goneAt);
}

/**
 * Instances of `before` that show a sign of interruption in `now`: a reclaim time (local cloud), a target
 * that went draining or was deregistered, an EC2 state past running, or absence from the fleet.
 */
export function interruptedSince(before: FleetSnapshot, now: FleetSnapshot): string[] {
  const current = new Map(now.instances.map((i) => [i.instanceId, i]));
  return before.instances
    .filter((was) => {
      const is = current.get(was.instanceId);
      if (!is) return true;
      if (is.reclaimAt && !was.reclaimAt) return true;
      if (is.state !== 'running' && is.state !== 'pending') return true;
      return (is.health === 'draining' || is.health === 'unused') && (was.health === 'healthy' || was.health === 'initial');
    })
    .map((i) => i.instanceId);
}

/** Updates what has been seen of each followed instance from a fresh snapshot. */
export function observe(followed: ReadonlyMap<string, Interruption>, now: FleetSnapshot): void {
  const at = Date.parse(now.at);
  const current = new Map(now.instances.map((i) => [i.instanceId, i]));
  for (const f of followed.values()) {
    if (f.goneAt !== undefined) continue;
    const is = current.get(f.instanceId);
    if (!is || is.state === 'terminated' || is.state === 'stopped') {
      f.goneAt = at;
      continue;
    }
    // The local cloud says when the warning went out; on AWS only when it was first seen is known.
    if (is.reclaimAt && f.warnedAt === undefined) f.warnedAt = is.warnedAt !== undefined ? Date.parse(is.warnedAt) : at;
    if (is.health === 'draining' && f.drainingAt === undefined) f.drainingAt = at;
    if (is.health === 'unused' && f.deregisteredAt === undefined) f.deregisteredAt = at;
  }
}

/** One line per followed instance for the live display and the final report. */
export function describeInterruption(i: Interruption, view: InstanceView | undefined, startedAt: number): string {
  const t = (ms: number | undefined): string => (ms === undefined ? '' : `+${((ms - startedAt) / 1000).toFixed(1)} s`);
  const steps = [
    i.warnedAt !== undefined ? `warned ${t(i.warnedAt)}` : undefined,
    i.drainingAt !== undefined ? `draining ${t(i.drainingAt)}` : undefined,
    i.deregisteredAt !== undefined ? `deregistered ${t(i.deregisteredAt)}` : undefined,
    i.goneAt !== undefined ? `gone ${t(i.goneAt)}` : undefined,
  ].filter(Boolean);
  const now = view && i.goneAt === undefined ? `  [now: ${view.state}, target ${view.health}${view.drainingSecondsLeft !== undefined ? ` ${view.drainingSecondsLeft.toFixed(1)} s left` : ''}]` : '';
  return `${i.instanceId}: ${steps.join(' → ') || 'waiting for the interruption'}${now}`;
}
