/**
 * What the console server sends the page: one JSON document per server-sent event. Types only, so the page's
 * bundle imports them without pulling in Node code.
 */
import type { FleetSnapshot } from '../fleet-snapshot.js';

/** Something that happened to the fleet, marked on the timeline. Epoch ms. */
export interface TimelineMarker {
  readonly at: number;
  /** warning = Spot interruption warning; deregistration = target left service (draining or deregistered). */
  readonly kind: 'warning' | 'deregistration' | 'termination' | 'launch' | 'scaling';
  readonly instanceId?: string;
  readonly text: string;
}

/** Where a traffic sample came from: the console's own load generator, the local ALB, or CloudWatch. */
export type TrafficSource = 'load' | 'alb' | 'cloudwatch';

/** Requests per second and failed requests per second over the interval ending at `at` (epoch ms). */
export interface TrafficSample {
  readonly at: number;
  readonly source: TrafficSource;
  readonly requestsPerSecond: number;
  readonly failedPerSecond: number;
}

export type { AlarmView } from '../stack-alarms.js';
import type { AlarmView } from '../stack-alarms.js';

/** Progress of an action started from the page. */
export interface ActionView {
  readonly id: number;
  readonly kind: 'interrupt' | 'interrupt-fis' | 'load';
  readonly state: 'running' | 'succeeded' | 'failed';
  /** One line per step or followed instance, for a human. */
  readonly lines: readonly string[];
  readonly startedAt: number;
  readonly endedAt?: number;
}

/** Whether the console could read its data source (AWS or the local cloud) on its last attempt. */
export interface SourceView {
  readonly ok: boolean;
  /** The last error, when not ok. */
  readonly error?: string;
  /** Epoch ms of the last successful read. */
  readonly lastOkAt?: number;
  /** Epoch ms since when reads have been failing. */
  readonly failingSince?: number;
}

export interface ConsoleView {
  readonly now: number;
  readonly source: SourceView;
  /** The last snapshot read, exactly what `status --json` prints (kept while the source is lost). */
  readonly snapshot?: FleetSnapshot;
  /** The last `windowMs` of traffic, oldest first. */
  readonly traffic: readonly TrafficSample[];
  readonly markers: readonly TimelineMarker[];
  readonly windowMs: number;
  /** Undefined while not read yet; `error` when DescribeAlarms failed. */
  readonly alarms?: { readonly alarms: readonly AlarmView[]; readonly error?: string };
  /** Whether the console's steady load is running, and at what rate. */
  readonly load?: { readonly rate: number; readonly startedAt: number; readonly requests: number; readonly failures: number };
  readonly actions: readonly ActionView[];
  /** The target group's deregistration delay (AWS only: locally each draining target says how long it has left). */
  readonly deregistrationDelaySeconds?: number;
  /** Where traffic figures come from, for the chart's legend (e.g. "local ALB counters"). */
  readonly trafficSources: readonly string[];
}
