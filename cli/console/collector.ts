import { EventEmitter } from 'node:events';
import { readFleetSnapshot, type FleetSnapshot, type LoadBalancerCountersView } from '../fleet-snapshot.js';
import type { Target } from '../target.js';
import type { ConsoleActions } from './actions.js';
import { albDimension, deregistrationDelaySeconds, readAlbTraffic } from './cloudwatch.js';
import { readStackAlarms } from '../stack-alarms.js';
import { readInterruptionNotices } from './spot-warnings.js';
import { albRate, markersBetween, withinWindow } from './timeline.js';
import type { AlarmView, ConsoleView, SourceView, TimelineMarker, TrafficSample } from './view.js';

const RATE_INTERVAL_MS = 1000;

export interface ConsoleCollectorProps {
  readonly target: Target;
  readonly actions: ConsoleActions;
  /** How often the fleet is read. @default 500 ms locally, 2000 ms on AWS (as `status --watch`) */
  readonly intervalMs?: number;
  /** How much history the timeline keeps. @default 600000 (10 minutes) */
  readonly windowMs?: number;
  /** How often DescribeAlarms is called. @default 10000 */
  readonly alarmsEveryMs?: number;
  /** How often CloudWatch's ALB metrics are read on AWS (they come once a minute). @default 60000 */
  readonly metricsEveryMs?: number;
  /** Reads the fleet. @default readFleetSnapshot, what `status` reads */
  readonly readSnapshot?: (target: Target) => Promise<FleetSnapshot>;
}

/**
 * Reads what `status` reads, on a timer, and keeps what the page shows: the last snapshot, the traffic and the
 * fleet's changes over the last minutes, the stack's alarms, and whether the data source still answers.
 * Emits `view` after every read.
 */
export class ConsoleCollector extends EventEmitter<{ view: [ConsoleView] }> {
  private snapshot?: FleetSnapshot;
  private source: SourceView = { ok: false, error: 'not read yet' };
  private markers: TimelineMarker[] = [];
  private traffic: TrafficSample[] = [];
  private alarms?: { alarms: AlarmView[]; error?: string };
  private alarmsReadAt = 0;
  private metricsReadAt = 0;
  private dimension?: string | null;
  private delaySeconds?: number | null;
  /** Instances whose interruption notice is on the timeline already (AWS). */
  private readonly noticed = new Set<string>();
  private lastLoad?: { at: number; requests: number; failures: number };
  private albBase?: { at: number; counters: LoadBalancerCountersView };
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private ticking?: Promise<void>;
  private readonly intervalMs: number;
  private readonly windowMs: number;

  constructor(private readonly props: ConsoleCollectorProps) {
    super();
    this.intervalMs = props.intervalMs ?? (props.target.kind === 'local' ? 500 : 2000);
    this.windowMs = props.windowMs ?? 600_000;
  }

  /** Reads once now, then every interval. Resolves after the first read (which may have failed). */
  async start(): Promise<void> {
    await this.tick();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
  }

  view(): ConsoleView {
    const now = Date.now();
    const load = this.props.actions.loadState();
    return {
      now,
      source: this.source,
      ...(this.snapshot ? { snapshot: this.snapshot } : {}),
      traffic: this.traffic,
      markers: this.markers,
      windowMs: this.windowMs,
      ...(this.alarms ? { alarms: this.alarms } : {}),
      ...(load ? { load } : {}),
      ...(typeof this.delaySeconds === 'number' ? { deregistrationDelaySeconds: this.delaySeconds } : {}),
      actions: this.props.actions.actions(),
      trafficSources: [
        this.props.target.kind === 'local' ? 'local ALB counters' : 'CloudWatch ALB metrics (1-minute sums)',
        ...(load ? ['the console\'s load generator'] : []),
      ],
    };
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, this.intervalMs);
  }

  private tick(): Promise<void> {
    this.ticking = this.read().then(() => void this.emit('view', this.view()));
    return this.ticking;
  }

  private async read(): Promise<void> {
    const { target } = this.props;
    const now = Date.now();
    await Promise.all([
      this.readFleet(),
      this.readAlarms(now),
      target.kind === 'aws' ? this.readCloudWatchTraffic(now) : undefined,
      target.kind === 'aws' ? this.readDeregistrationDelay() : undefined,
    ]);
    if (target.kind === 'aws') await this.readNotices();
    this.sampleLoad(Date.now());
    const end = Date.now();
    this.markers = withinWindow(this.markers, end, this.windowMs);
    this.traffic = withinWindow(this.traffic, end, this.windowMs);
  }

  private async readFleet(): Promise<void> {
    let next: FleetSnapshot;
    try {
      next = await (this.props.readSnapshot ?? readFleetSnapshot)(this.props.target);
    } catch (err) {
      const failingSince = this.source.ok || this.source.failingSince === undefined ? Date.now() : this.source.failingSince;
      this.source = { ok: false, error: (err as Error).message, failingSince, ...(this.source.lastOkAt ? { lastOkAt: this.source.lastOkAt } : {}) };
      return;
    }
    const prev = this.snapshot;
    if (prev) this.markers.push(...markersBetween(prev, next));
    if (next.loadBalancer) {
      const reading = { at: Date.parse(next.at), counters: next.loadBalancer };
      const base = this.albBase;
      // Rates over at least a second: steadier lines, and a page update stays small with ten minutes kept.
      if (!base || reading.at - base.at >= RATE_INTERVAL_MS) {
        const sample = base && albRate(base, reading);
        if (sample) this.traffic.push(sample);
        this.albBase = reading;
      }
    }
    this.snapshot = next;
    this.source = { ok: true, lastOkAt: Date.parse(next.at) };
  }

  private sampleLoad(now: number): void {
    const totals = this.props.actions.loadTotals();
    if (!totals) {
      this.lastLoad = undefined;
      return;
    }
    const prev = this.lastLoad;
    if (prev && now - prev.at < RATE_INTERVAL_MS) return;
    this.lastLoad = { at: now, ...totals };
    if (!prev) return;
    const seconds = (now - prev.at) / 1000;
    this.traffic.push({
      at: now,
      source: 'load',
      requestsPerSecond: Math.max(0, totals.requests - prev.requests) / seconds,
      failedPerSecond: Math.max(0, totals.failures - prev.failures) / seconds,
    });
  }

  /** Alarms change slowly; an error (no permission, no CloudWatch in the emulator) is shown, not fatal. */
  private async readAlarms(now: number): Promise<void> {
    if (now - this.alarmsReadAt < (this.props.alarmsEveryMs ?? 10_000)) return;
    this.alarmsReadAt = now;
    const { target } = this.props;
    try {
      this.alarms = { alarms: await readStackAlarms(target.clients.cloudwatch, target.facts.stackName) };
    } catch (err) {
      this.alarms = { alarms: this.alarms?.alarms ?? [], error: `DescribeAlarms failed: ${(err as Error).message}` };
    }
  }

  /**
   * On AWS the snapshot has no reclaim time; the Spot request's status shows the notice. Errors are ignored: the
   * timeline still shows the deregistration and termination.
   */
  private async readNotices(): Promise<void> {
    const ids = (this.snapshot?.instances ?? []).map((i) => i.instanceId).filter((id) => !this.noticed.has(id));
    const notices = await readInterruptionNotices(this.props.target.clients.ec2, ids).catch(() => new Map<string, { at: number; code: string }>());
    for (const [instanceId, { at, code }] of notices) {
      this.noticed.add(instanceId);
      this.markers.push({ at, kind: 'warning', instanceId, text: `${instanceId} Spot interruption notice (Spot request ${code})` });
    }
    this.markers.sort((a, b) => a.at - b.at);
  }

  private async readDeregistrationDelay(): Promise<void> {
    if (this.delaySeconds !== undefined) return;
    const { target } = this.props;
    this.delaySeconds = (await deregistrationDelaySeconds(target.clients.elbv2, target.facts.targetGroupArn).catch(() => undefined)) ?? null;
  }

  private async readCloudWatchTraffic(now: number): Promise<void> {
    if (now - this.metricsReadAt < (this.props.metricsEveryMs ?? 60_000)) return;
    this.metricsReadAt = now;
    const { target } = this.props;
    try {
      if (this.dimension === undefined) this.dimension = (await albDimension(target.clients.elbv2, target.facts.targetGroupArn)) ?? null;
      if (!this.dimension) return;
      const samples = await readAlbTraffic(target.clients.cloudwatch, this.dimension, now, this.windowMs);
      this.traffic = [...this.traffic.filter((s) => s.source !== 'cloudwatch'), ...samples].sort((a, b) => a.at - b.at);
    } catch {
      // The fleet view matters more than the chart; the next read tries again.
      this.metricsReadAt = now - (this.props.metricsEveryMs ?? 60_000) + 10_000;
    }
  }
}
