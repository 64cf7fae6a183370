import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
  type TargetGroup,
  type TargetGroupAttribute,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { SimulatedClock } from '../clock.js';
import type { HealthCheckSettings } from './types.js';

/** What a LocalLoadBalancer needs from a target group, durations in milliseconds. */
export interface TargetGroupSettings {
  readonly healthCheck: HealthCheckSettings;
  readonly deregistrationDelayMs: number;
}

/* ALB's defaults for an HTTP target group, for fields a description leaves out. */
const DEFAULTS = {
  path: '/',
  intervalSeconds: 30,
  timeoutSeconds: 5,
  healthyThreshold: 5,
  unhealthyThreshold: 2,
  matcher: '200',
  deregistrationDelaySeconds: 300,
} as const;

/**
 * Reads a target group's health check and deregistration delay (from DescribeTargetGroups and
 * DescribeTargetGroupAttributes), every duration in the clock's real time.
 * The health check port is always the target's own ("traffic-port").
 */
export async function readTargetGroupSettings(
  elbv2: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
  clock: SimulatedClock,
): Promise<TargetGroupSettings> {
  const [groups, attributes] = await Promise.all([
    elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [targetGroupArn] })),
    elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn })),
  ]);
  const group = groups.TargetGroups?.[0];
  if (!group) throw new Error(`target group ${targetGroupArn} was not found`);
  return scaleSettings(settingsFromTargetGroup(group, attributes.Attributes ?? []), clock);
}

/** The settings a description states, in real time (ms). */
export function settingsFromTargetGroup(
  group: TargetGroup,
  attributes: readonly TargetGroupAttribute[],
): TargetGroupSettings {
  const delay = attributes.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value;
  return {
    healthCheck: {
      path: group.HealthCheckPath ?? DEFAULTS.path,
      intervalMs: seconds(group.HealthCheckIntervalSeconds ?? DEFAULTS.intervalSeconds),
      timeoutMs: seconds(group.HealthCheckTimeoutSeconds ?? DEFAULTS.timeoutSeconds),
      healthyThreshold: Number(group.HealthyThresholdCount ?? DEFAULTS.healthyThreshold),
      unhealthyThreshold: Number(group.UnhealthyThresholdCount ?? DEFAULTS.unhealthyThreshold),
      matcher: group.Matcher?.HttpCode ?? DEFAULTS.matcher,
    },
    deregistrationDelayMs: seconds(delay === undefined ? DEFAULTS.deregistrationDelaySeconds : Number(delay)),
  };
}

/**
 * Every interval, timeout and delay in the clock's real time (at scale 0.05 a 120 s drain lasts 6 s), rounded to
 * whole milliseconds the data plane's timers can keep. Thresholds are counts and stay.
 */
export function scaleSettings(settings: TargetGroupSettings, clock: SimulatedClock): TargetGroupSettings {
  const scale = (ms: number) => Math.max(1, Math.round(clock.toReal(ms)));
  const intervalMs = Math.max(2, scale(settings.healthCheck.intervalMs));
  return {
    healthCheck: {
      ...settings.healthCheck,
      intervalMs,
      // Rounding must not break "timeout below interval".
      timeoutMs: Math.min(scale(settings.healthCheck.timeoutMs), intervalMs - 1),
    },
    deregistrationDelayMs: settings.deregistrationDelayMs === 0 ? 0 : scale(settings.deregistrationDelayMs),
  };
}

function seconds(value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`expected a duration in seconds, got ${value}`);
  return value * 1_000;
}
