import {
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { TargetState } from './types.js';

/** The part of LocalLoadBalancer the sync drives. */
export interface TargetSet {
  register(id: string): void;
  deregister(id: string): boolean;
  targets(): ReadonlyArray<{ readonly id: string; readonly state: TargetState }>;
}

export interface TargetGroupSyncProps {
  /** A client pointed at moto. */
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly targetGroupArn: string;
  readonly loadBalancer: TargetSet;
  /** @default 100 */
  readonly pollMs?: number;
  /** Called with each failed poll. @default a warning on stderr, once per distinct message */
  readonly onError?: (error: unknown) => void;
  /** Called after every sync that changed something. */
  readonly onChange?: (change: SyncResult) => void;
}

export interface SyncResult {
  readonly registered: readonly string[];
  readonly deregistered: readonly string[];
}

/*
 * What moto 5.2 answers (moto/elbv2/models.py, FakeTargetGroup.health_for), listing all targets:
 * - a registered instance is `healthy` at once (moto runs no health checks; ours do);
 * - a stopped instance is `unused` (Target.InvalidState): ALB sends it nothing;
 * - a deregistered target is gone from the list at once (moto does not drain; ours does);
 * - an instance ended by TerminateInstances is gone from the list too (kept aside as `draining`, only
 *   shown when asked for by id). Instances that moto's Spot Fleet terminates internally (a lowered
 *   TargetCapacity) are NOT: they stay `healthy` here, and only our health checks will notice.
 */
const NOT_IN_SERVICE = new Set(['unused', 'draining']);

/** Ids moto counts as registered and in service. */
export function registeredIds(descriptions: readonly TargetHealthDescription[]): Set<string> {
  const ids = new Set<string>();
  for (const d of descriptions) {
    const id = d.Target?.Id;
    if (id && !NOT_IN_SERVICE.has(d.TargetHealth?.State ?? '')) ids.add(id);
  }
  return ids;
}

/** What to change locally so that the targets not draining are exactly `wanted`. */
export function diffTargets(
  wanted: ReadonlySet<string>,
  local: ReadonlyArray<{ readonly id: string; readonly state: TargetState }>,
): SyncResult {
  const active = new Set(local.filter((t) => t.state !== 'draining').map((t) => t.id));
  return {
    registered: [...wanted].filter((id) => !active.has(id)),
    deregistered: [...active].filter((id) => !wanted.has(id)),
  };
}

/**
 * Keeps a LocalLoadBalancer's registrations equal to a target group's in moto, which the Spot Fleet
 * emulation and the interruption handler change with RegisterTargets/DeregisterTargets. Polls
 * DescribeTargetHealth every pollMs; `syncNow()` lets a caller that just made a change apply it at once;
 * `applyPushed` applies a change moto has just accepted without asking moto.
 *
 * A sync's snapshot of moto can be older than a pushed change: read before a DeregisterTargets landed, it still
 * lists the target, and applied after it, it would register the draining target again (ELB never shows a
 * deregistered target `initial` again). So a sync leaves alone every target pushed since it asked moto; the next
 * sync, which asks after the change, confirms it.
 */
export class TargetGroupSync {
  private timer?: NodeJS.Timeout;
  private running?: Promise<SyncResult>;
  private queued?: Promise<SyncResult>;
  private stopped = true;
  /** Bumped by each start(), so a poll left over from before a stop() cannot go on looping. */
  private generation = 0;
  private readonly onError: (error: unknown) => void;
  /** Counts pushed changes; `pushedAt` holds, per target, the count at its last one. */
  private pushes = 0;
  private readonly pushedAt = new Map<string, number>();

  constructor(private readonly props: TargetGroupSyncProps) {
    const pollMs = props.pollMs ?? 100;
    if (!(Number.isFinite(pollMs) && pollMs > 0)) throw new RangeError(`pollMs must be a positive number, got ${pollMs}`);
    this.onError = props.onError ?? warnOncePerMessage();
  }

  /** Starts polling (the first sync runs at once). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.poll(++this.generation);
  }

  /** Stops polling; resolves when a sync under way has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.allSettled([this.running, this.queued]);
  }

  /**
   * Syncs now. A call made while a sync is under way gets the next one, which starts when that ends:
   * the one under way may have read moto before the caller's change.
   */
  syncNow(): Promise<SyncResult> {
    if (!this.running) {
      this.running = this.syncOnce().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.syncNow();
      });
    return this.queued;
  }

  /**
   * Applies a registration change moto has accepted (seen at the AWS endpoint, as ELB's control plane pushes it to the
   * load balancer nodes), without waiting for a sync; syncs that asked moto before it leave these targets alone.
   */
  applyPushed(action: 'RegisterTargets' | 'DeregisterTargets', ids: readonly string[]): void {
    const at = ++this.pushes;
    for (const id of ids) {
      this.pushedAt.set(id, at);
      if (action === 'DeregisterTargets') this.props.loadBalancer.deregister(id);
      else this.props.loadBalancer.register(id);
    }
  }

  private async poll(generation: number): Promise<void> {
    const current = () => !this.stopped && generation === this.generation;
    try {
      await this.syncNow();
    } catch (error) {
      if (current()) this.onError(error);
    }
    if (current()) this.timer = setTimeout(() => void this.poll(generation), this.props.pollMs ?? 100);
  }

  private async syncOnce(): Promise<SyncResult> {
    const { elbv2, targetGroupArn, loadBalancer } = this.props;
    const askedAt = this.pushes;
    const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    const newer = (id: string) => (this.pushedAt.get(id) ?? 0) > askedAt;
    const all = diffTargets(registeredIds(health.TargetHealthDescriptions ?? []), loadBalancer.targets());
    const change = { registered: all.registered.filter((id) => !newer(id)), deregistered: all.deregistered.filter((id) => !newer(id)) };
    // moto's answer covers every push made before the question: those need no protecting any more.
    for (const [id, at] of this.pushedAt) if (at <= askedAt) this.pushedAt.delete(id);
    for (const id of change.registered) loadBalancer.register(id);
    for (const id of change.deregistered) loadBalancer.deregister(id);
    if (change.registered.length > 0 || change.deregistered.length > 0) this.props.onChange?.(change);
    return change;
  }
}

function warnOncePerMessage(): (error: unknown) => void {
  let last = '';
  return (error) => {
    const message = error instanceof Error ? error.message : String(error);
    if (message === last) return;
    last = message;
    console.warn(`target group sync: ${message}`);
  };
}
