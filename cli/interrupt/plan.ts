import { CliError } from '../errors.js';
import type { FleetSnapshot, InstanceView } from '../fleet-snapshot.js';
import { printableLine } from '../../local/printable.js';

/**
 * The instances serving users now: running, and their target `healthy` in the target group (ELB's
 * DescribeTargetHealth; not `initial`, `unhealthy`, `draining` or `unused`), and not already warned of a
 * reclaim (a time only the local cloud shows). Decided from target health, as the ALB decides where requests go.
 */
export function servingInstances(snapshot: FleetSnapshot): InstanceView[] {
  return snapshot.instances.filter((i) => i.state === 'running' && i.health === 'healthy' && !i.reclaimAt);
}

function checkBy(by: number): void {
  if (!Number.isInteger(by) || by < 1) throw new CliError(`--by must be a whole number of at least 1, got ${by}`, 2);
}

/**
 * The target capacity after reducing by `by`. Refused when it would fall below 1, or when the fleet, which
 * picks the instances itself, could pick every serving one: at least 1 healthy, not draining target must remain
 * even in the worst case.
 */
export function reducedCapacity(snapshot: FleetSnapshot, by: number): number {
  checkBy(by);
  const current = snapshot.targetCapacity;
  const next = current - by;
  if (next < 1) {
    throw new CliError(
      `refusing to reduce the fleet's target capacity from ${current} by ${by}: at least 1 instance must keep serving, so --by can be at most ${current - 1} here`,
      2,
    );
  }
  const serving = servingInstances(snapshot).length;
  if (serving - by < 1) {
    throw new CliError(
      `refusing to reduce the fleet's target capacity by ${by}: only ${serving} instance(s) serve now (target healthy, not draining), ` +
        'and the fleet chooses which instances go, so none might be left. Wait until more targets are healthy (`spotweb status`).',
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

/**
 * The instances FIS should interrupt: the ones asked for (each must be the fleet's), or `by` serving ones. Refused
 * unless at least 1 serving instance (target healthy, not draining) is left out of the experiment.
 */
export function chooseInstances(snapshot: FleetSnapshot, asked: readonly string[], by: number): string[] {
  for (const id of asked) {
    if (!snapshot.instances.some((i) => i.instanceId === id)) {
      throw new CliError(`refusing to interrupt ${id}: it is not a running instance of stack ${snapshot.stackName}'s fleet ${snapshot.fleetRequestId}`);
    }
  }
  const count = asked.length > 0 ? asked.length : by;
  checkBy(count);
  // More than the fleet could ever spare is a mistake in the command line, whatever the targets' health.
  if (count > snapshot.instances.length - 1) {
    throw new CliError(`refusing to interrupt ${count} of the fleet's ${snapshot.instances.length} instance(s): at least 1 must keep serving, so --by can be at most ${Math.max(0, snapshot.instances.length - 1)} here`, 2);
  }
  const serving = servingInstances(snapshot);
  // Interrupting one still starting proves nothing about draining, so only serving ones are picked.
  const chosen = asked.length > 0 ? [...asked] : [...serving].sort((a, b) => a.instanceId.localeCompare(b.instanceId)).slice(0, count).map((i) => i.instanceId);
  const left = serving.filter((i) => !chosen.includes(i.instanceId)).length;
  if (left < 1 || chosen.length < count) {
    throw new CliError(
      `refusing to interrupt ${count} instance(s): ${serving.length} serve now (target healthy, not draining) and at least 1 must keep serving. ` +
        'Wait until more targets are healthy (`spotweb status`).',
    );
  }
  return chosen;
}

/** What has been seen of one interrupted instance, as epoch ms. */
export interface Interruption {
  readonly instanceId: string;
  warnedAt?: number;
  /** Its target first seen `draining` (ELB: Target.DeregistrationInProgress). */
  drainingAt?: number;
  /**
   * When the drain itself completed (local cloud only): ELB completes a deregistration at once when nothing is in
   * flight and no connection is open, yet shows `draining` until the deregistration delay ends.
   */
  drainCompletedAt?: number;
  /** EC2 first seen reporting the instance `shutting-down`. */
  shuttingDownAt?: number;
  /** Its target left the target group (ELB: `unused`, or no longer listed) while the instance was still there. */
  deregisteredAt?: number;
  /** The instance `terminated` (or stopped), or no longer listed. */
  goneAt?: number;
}

/** One interrupted instance in a report: its steps as ISO 8601 times, as `status --json` gives times. */
export interface ReportedInterruption {
  readonly instanceId: string;
  readonly warnedAt?: string;
  readonly drainingAt?: string;
  readonly drainCompletedAt?: string;
  readonly shuttingDownAt?: string;
  readonly deregisteredAt?: string;
  readonly goneAt?: string;
  readonly drained: boolean;
}

const STEPS = ['warnedAt', 'drainingAt', 'drainCompletedAt', 'shuttingDownAt', 'deregisteredAt', 'goneAt'] as const;

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
    if (is.drainCompletedAt !== undefined && f.drainCompletedAt === undefined) f.drainCompletedAt = Date.parse(is.drainCompletedAt);
    if (is.state === 'shutting-down' && f.shuttingDownAt === undefined) f.shuttingDownAt = at;
    if (is.health === 'unused' && f.deregisteredAt === undefined) f.deregisteredAt = at;
  }
}

/** The steps in the order they happened: the drain's end and the reclaim race each other. */
const STEP_NAMES: ReadonlyArray<[keyof Interruption, string]> = [
  ['warnedAt', 'warned'],
  ['drainingAt', 'draining'],
  ['shuttingDownAt', 'shutting-down'],
  ['deregisteredAt', 'deregistered'],
  ['goneAt', 'gone'],
];

/**
 * When `at` came relative to the command's start (epoch ms both), to the tenth of a second: `+2.8 s`, or `-2.8 s` for
 * what happened before it (an instance an earlier command had already warned).
 */
export function sinceStart(at: number, startedAt: number): string {
  const tenths = Math.round((at - startedAt) / 100);
  return `${tenths < 0 ? '-' : '+'}${(Math.abs(tenths) / 10).toFixed(1)} s`;
}

/**
 * What the steps leave unsaid, in plain words, or undefined: a drain that completed early (still shown `draining`,
 * as ELB shows it), or a target never seen draining (left between two polls).
 */
export function drainNote(i: Interruption, startedAt: number): string | undefined {
  if (i.drainCompletedAt !== undefined) {
    const at = sinceStart(i.drainCompletedAt, startedAt);
    // The steps are times a poll saw; this one is when the drain did complete, so it can come before "draining".
    const beforeSeen = i.drainingAt !== undefined && i.drainCompletedAt < i.drainingAt ? ', before a poll saw the target draining' : '';
    return `drain complete ${at}${beforeSeen} (no request in flight, no connection open); ELB shows draining until the deregistration delay ends`;
  }
  if (i.drainingAt === undefined && i.deregisteredAt !== undefined) return 'never seen draining: the deregistration completed between two polls';
  return undefined;
}

/**
 * The instance's state now, for the live display's second line (so a narrow terminal, which cuts long lines, keeps
 * it): EC2 state, target health and, locally, the drain's seconds left. Undefined once it is gone.
 */
export function describeNow(i: Interruption, view: InstanceView | undefined): string | undefined {
  if (!view || i.goneAt !== undefined) return undefined;
  // The states come from the endpoint's answers: printed without control characters.
  return `now: ${printableLine(view.state, 40)}, target ${printableLine(view.health, 40)}${view.drainingSecondsLeft !== undefined ? ` ${view.drainingSecondsLeft.toFixed(1)} s left` : ''}`;
}

/** One line per followed instance for the live display and the final report: its steps in the order seen. */
export function describeInterruption(i: Interruption, startedAt: number): string {
  const t = (ms: number | undefined): string => (ms === undefined ? '' : sinceStart(ms, startedAt));
  const steps = STEP_NAMES.flatMap(([key, name]) => (i[key] === undefined ? [] : [{ at: i[key] as number, text: `${name} ${t(i[key] as number)}` }]))
    .sort((a, b) => a.at - b.at)
    .map((s) => s.text);
  return `${i.instanceId}: ${steps.join(' → ') || 'waiting for the interruption'}`;
}
