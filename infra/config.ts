/**
 * The stack's configuration: every knob, its default, and the validation that turns a bad value into a
 * synth-time error naming the context key. Pure: it reads a plain record, so the app entry reads CDK
 * context once and everything below receives typed values.
 */
import { FUNCTION_TIMEOUT_SECONDS } from '../handlers/interruption/config.js';
import { closestName } from './closest-name.js';
import { DEFAULT_IDLE_TIMEOUT_SECONDS, IDLE_TIMEOUT_RANGE_SECONDS } from '../userdata/app/keep-alive.js';

export const ALLOCATION_STRATEGIES = [
  'diversified',
  'priceCapacityOptimized',
  'capacityOptimized',
  'lowestPrice',
] as const;
export type AllocationStrategy = (typeof ALLOCATION_STRATEGIES)[number];

/** Spot Fleet's capacity rebalancing replacement strategies (EC2 API reference, `SpotCapacityRebalance`). */
export const REBALANCE_STRATEGIES = ['launch-before-terminate', 'launch'] as const;
export type RebalanceReplacementStrategy = (typeof REBALANCE_STRATEGIES)[number];

/** `TerminationDelay` bounds for `launch-before-terminate` (EC2 API reference, `SpotCapacityRebalance`). */
export const TERMINATION_DELAY_RANGE = { min: 120, max: 7200 } as const;

/**
 * Between a rebalance recommendation and the drain starting: EventBridge delivery, the handler's cold start, its
 * retries a minute apart under throttling. The termination delay must cover this plus the deregistration delay.
 */
export const REBALANCE_DRAIN_MARGIN_SECONDS = 60;

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export interface SpotWebConfig {
  /** Instance types the fleet diversifies over (x86_64, one AMI). @default t3.small,t3a.small,m5.large,c5.large */
  readonly instanceTypes: readonly string[];
  /** Spot Fleet allocation strategy. @default diversified */
  readonly allocationStrategy: AllocationStrategy;
  /** Fleet capacity at deploy time. @default minCapacity */
  readonly targetCapacity: number;
  /** Autoscaling floor. @default 2 */
  readonly minCapacity: number;
  /** Autoscaling ceiling. @default 10 */
  readonly maxCapacity: number;
  /** Target tracking value: ALB requests per target per minute. @default 600 */
  readonly requestsPerTarget: number;
  /** @default 60 */
  readonly scaleOutCooldownSeconds: number;
  /** @default 300 */
  readonly scaleInCooldownSeconds: number;
  /**
   * How long the ALB drains a deregistered target (60-3600 s); matches the two-minute Spot warning. At least the
   * interruption handler's 60 s timeout: the handler reads the target it took out as `draining`, which ELB shows for
   * this long (handlers/interruption/drain.ts). @default 120
   */
  readonly deregistrationDelaySeconds: number;
  /** Port the instance app listens on, and the target group's port. @default 8000 */
  readonly appPort: number;
  /**
   * The ALB's connection idle timeout (`idle_timeout.timeout_seconds`, 1-4000 s, as ELB accepts). The instance
   * app's keep-alive timeout is set above it through the user data, so the ALB, not the app, closes idle
   * connections (else the ALB answers 502 on a connection the app has just closed). @default 60
   */
  readonly idleTimeoutSeconds: number;
  /** @default /health */
  readonly healthCheckPath: string;
  /**
   * ALB's minimum: a replacement instance serves 5 s after it registers (two passing checks) and a dead one is
   * out within 10 s, which matters on a fleet whose instances come and go. @default 5
   */
  readonly healthCheckIntervalSeconds: number;
  /** Must be below the interval. @default 4 */
  readonly healthCheckTimeoutSeconds: number;
  /** @default 2 */
  readonly healthyThresholdCount: number;
  /** @default 2 */
  readonly unhealthyThresholdCount: number;
  /** ACM certificate ARN: when set, the ALB serves HTTPS on 443 and redirects 80 to it. @default none */
  readonly certificateArn?: string;
  /** Email address subscribed to the interruption topic. @default none */
  readonly notificationEmail?: string;
  /** Also drain on "EC2 Instance Rebalance Recommendation" (Lambda only, no email). @default false */
  readonly drainOnRebalance: boolean;
  /** Spot Fleet capacity rebalancing: launch a replacement when AWS signals elevated risk. @default false */
  readonly capacityRebalance: boolean;
  /**
   * What capacity rebalancing does with the instance that got the recommendation: `launch-before-terminate`
   * terminates it after `rebalanceTerminationDelaySeconds`; `launch` never does (AWS: "Spot Fleet does not terminate
   * the instances that receive a rebalance notification"). @default launch-before-terminate
   */
  readonly rebalanceReplacementStrategy: RebalanceReplacementStrategy;
  /**
   * `TerminationDelay` of `launch-before-terminate` (120-7200 s): long enough for the drain.
   * @default max(120, deregistrationDelaySeconds + 60)
   */
  readonly rebalanceTerminationDelaySeconds: number;
  /** Retention of the handler's and flow logs' log groups. @default 30 */
  readonly logRetentionDays: number;
  /**
   * Load-balancer-generated 5xx responses (HTTPCode_ELB_5XX_Count: no target, target failed, target silent) in one
   * minute above which the 5xx alarm fires. @default 5
   */
  readonly alarmElb5xxPerMinute: number;
  /** Consecutive minutes with no healthy target (HealthyHostCount below 1) before that alarm fires. @default 2 */
  readonly alarmNoHealthyTargetMinutes: number;
  /** Consecutive minutes with at least one unhealthy target before that alarm fires. @default 5 */
  readonly alarmUnhealthyTargetMinutes: number;
  /**
   * Minutes the fleet's fulfilled capacity may stay below its target capacity (AWS/EC2Spot, 5-minute periods)
   * before that alarm fires; a multiple of 5. @default 15
   */
  readonly alarmCapacityShortfallMinutes: number;
  /**
   * Errors (AWS/Lambda Errors) in five minutes above which the handler's alarm, and the drain confirmation's, fires;
   * 0 = any error. @default 0
   */
  readonly alarmHandlerErrors: number;
  /** Session Manager access to the instances (their only IAM role); false leaves instances without a role. @default true */
  readonly sessionManager: boolean;
}

export const DEFAULT_CONFIG: SpotWebConfig = {
  instanceTypes: ['t3.small', 't3a.small', 'm5.large', 'c5.large'],
  allocationStrategy: 'diversified',
  targetCapacity: 2,
  minCapacity: 2,
  maxCapacity: 10,
  requestsPerTarget: 600,
  scaleOutCooldownSeconds: 60,
  scaleInCooldownSeconds: 300,
  deregistrationDelaySeconds: 120,
  appPort: 8000,
  idleTimeoutSeconds: DEFAULT_IDLE_TIMEOUT_SECONDS,
  healthCheckPath: '/health',
  healthCheckIntervalSeconds: 5,
  healthCheckTimeoutSeconds: 4,
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 2,
  drainOnRebalance: false,
  capacityRebalance: false,
  rebalanceReplacementStrategy: 'launch-before-terminate',
  rebalanceTerminationDelaySeconds: 180,
  logRetentionDays: 30,
  alarmElb5xxPerMinute: 5,
  alarmNoHealthyTargetMinutes: 2,
  alarmUnhealthyTargetMinutes: 5,
  alarmCapacityShortfallMinutes: 15,
  alarmHandlerErrors: 0,
  sessionManager: true,
};

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`Invalid configuration "${key}": ${message}`);
    this.name = 'ConfigError';
  }
}

// Family (with generation digit and attribute letters), a dot, then a size: t3.small, m6i.2xlarge, c5n.metal.
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.(nano|micro|small|medium|large|[0-9]*xlarge|metal(-[0-9]+xl)?)$/;
const ARM_FAMILY = /^[a-z]+[0-9]+[a-z]*g[a-z]*\./;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ACM_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate\/[A-Za-z0-9-]+$/;

type Raw = Readonly<Record<string, unknown>>;

/** @param why what the range comes from, when the bounds alone would not say it: added to the error. */
function integer(raw: Raw, key: keyof SpotWebConfig, min: number, max: number, fallback: number, why?: string): number {
  const value = raw[key];
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isInteger(n)) throw new ConfigError(key, `expected a whole number, got ${JSON.stringify(value)}`);
  if (n < min || n > max) throw new ConfigError(key, `must be between ${min} and ${max}, got ${n}${why ? ` (${why})` : ''}`);
  return n;
}

function boolean(raw: Raw, key: keyof SpotWebConfig, fallback: boolean): boolean {
  const value = raw[key];
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ConfigError(key, `expected true or false, got ${JSON.stringify(value)}`);
}

function optionalString(raw: Raw, key: keyof SpotWebConfig, pattern: RegExp, what: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new ConfigError(key, `expected ${what}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function instanceTypes(raw: Raw): readonly string[] {
  const value = raw.instanceTypes;
  if (value === undefined) return DEFAULT_CONFIG.instanceTypes;
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (!list) throw new ConfigError('instanceTypes', 'expected a comma-separated list such as "t3.small,m5.large"');
  const types = list.map((t) => String(t).trim()).filter((t) => t !== '');
  const bad = types.find((t) => !INSTANCE_TYPE.test(t));
  if (bad !== undefined) throw new ConfigError('instanceTypes', `"${bad}" is not an instance type such as t3.small`);
  const arm = types.find((t) => ARM_FAMILY.test(t));
  if (arm !== undefined) {
    throw new ConfigError('instanceTypes', `"${arm}" is Graviton (arm64); the fleet's AMI is x86_64`);
  }
  if (new Set(types).size !== types.length) throw new ConfigError('instanceTypes', 'lists a type twice');
  if (types.length < 3) {
    throw new ConfigError('instanceTypes', `a diversified fleet needs at least 3 types, got ${types.length}`);
  }
  return types;
}

function allocationStrategy(raw: Raw): AllocationStrategy {
  const value = raw.allocationStrategy;
  if (value === undefined) return DEFAULT_CONFIG.allocationStrategy;
  if (!ALLOCATION_STRATEGIES.includes(value as AllocationStrategy)) {
    throw new ConfigError('allocationStrategy', `expected one of ${ALLOCATION_STRATEGIES.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as AllocationStrategy;
}

function healthCheckPath(raw: Raw): string {
  const value = raw.healthCheckPath;
  if (value === undefined) return DEFAULT_CONFIG.healthCheckPath;
  if (typeof value !== 'string' || !/^\/[\x21-\x7e]{0,1023}$/.test(value)) {
    throw new ConfigError('healthCheckPath', `expected a path starting with "/", got ${JSON.stringify(value)}`);
  }
  return value;
}

function rebalanceReplacementStrategy(raw: Raw): RebalanceReplacementStrategy {
  const value = raw.rebalanceReplacementStrategy;
  if (value === undefined) return DEFAULT_CONFIG.rebalanceReplacementStrategy;
  if (!REBALANCE_STRATEGIES.includes(value as RebalanceReplacementStrategy)) {
    throw new ConfigError('rebalanceReplacementStrategy', `expected one of ${REBALANCE_STRATEGIES.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as RebalanceReplacementStrategy;
}

/**
 * Draining on a rebalance recommendation takes the instance out of the target group; unless the fleet then replaces
 * and retires it, it stays running, counted in the fleet's capacity, serving nobody, for good (the common case: no
 * interruption follows a recommendation). Refuses every combination that strands capacity that way, or that would
 * terminate the instance before its drain ends.
 */
function checkRebalance(config: SpotWebConfig): void {
  if (!config.drainOnRebalance) return;
  const retire = 'so the fleet launches a replacement and terminates the drained instance once its drain is over';
  if (!config.capacityRebalance) {
    throw new ConfigError(
      'drainOnRebalance',
      'draining on a rebalance recommendation without capacity rebalancing strands the drained instance: it keeps ' +
        `running, out of the target group, counted in the fleet. Set capacityRebalance=true ${retire}, or drainOnRebalance=false`,
    );
  }
  if (config.rebalanceReplacementStrategy === 'launch') {
    throw new ConfigError(
      'rebalanceReplacementStrategy',
      '"launch" never terminates the instance that got the recommendation (AWS: "Spot Fleet does not terminate the ' +
        'instances that receive a rebalance notification"), and drainOnRebalance=true takes it out of service: it ' +
        `would run, serving nobody, for good. Use launch-before-terminate ${retire}`,
    );
  }
  const needed = config.deregistrationDelaySeconds + REBALANCE_DRAIN_MARGIN_SECONDS;
  if (config.rebalanceTerminationDelaySeconds < needed) {
    throw new ConfigError(
      'rebalanceTerminationDelaySeconds',
      `${config.rebalanceTerminationDelaySeconds} s would terminate the drained instance before its drain ends: it needs ` +
        `deregistrationDelaySeconds (${config.deregistrationDelaySeconds}) + ${REBALANCE_DRAIN_MARGIN_SECONDS} s for the event ` +
        `and the handler = ${needed} s at least (at most ${TERMINATION_DELAY_RANGE.max})`,
    );
  }
}

/**
 * Context keys CDK itself uses without a namespace (`cdk acknowledge` and `cdk cli-telemetry` write them into
 * cdk.json). Every other key of CDK's is namespaced: feature flags (`@aws-cdk/core:…`), the toolkit's
 * (`aws:cdk:…`) and cached lookups (`availability-zones:account=…`) all hold a colon.
 */
const CDK_PLAIN_KEYS: ReadonlySet<string> = new Set(['acknowledged-issue-numbers', 'cli-telemetry']);

/** True for a context key that belongs to CDK rather than to this app. */
export function isCdkContextKey(key: string): boolean {
  return key.includes(':') || key.startsWith('@') || CDK_PLAIN_KEYS.has(key);
}

/**
 * A misspelt `-c` key would otherwise be ignored and deploy the default (`-c minCapcity=3` → 2), so any key
 * that is neither this app's nor CDK's own is an error naming the closest known key.
 */
function rejectUnknownKeys(raw: Raw): void {
  for (const key of Object.keys(raw)) {
    if ((CONFIG_KEYS as readonly string[]).includes(key) || isCdkContextKey(key)) continue;
    const near = closestName(key, CONFIG_KEYS);
    throw new ConfigError(
      key,
      near ? `unknown key; did you mean "${near}"? (README, Configuration)` : `unknown key; the keys this app reads are ${CONFIG_KEYS.join(', ')}`,
    );
  }
}

/**
 * Validates raw values (CDK context strings or typed values) and fills in the defaults. `raw` may be the app's
 * whole context: CDK's own keys are left alone, any other unknown key is an error.
 */
export function resolveConfig(raw: Raw): SpotWebConfig {
  rejectUnknownKeys(raw);
  const minCapacity = integer(raw, 'minCapacity', 1, 1000, DEFAULT_CONFIG.minCapacity);
  const maxCapacity = integer(raw, 'maxCapacity', 1, 1000, DEFAULT_CONFIG.maxCapacity);
  if (minCapacity > maxCapacity) {
    throw new ConfigError('minCapacity', `must not exceed maxCapacity (${minCapacity} > ${maxCapacity})`);
  }
  const targetCapacity = integer(raw, 'targetCapacity', minCapacity, maxCapacity, minCapacity);
  const healthCheckIntervalSeconds = integer(raw, 'healthCheckIntervalSeconds', 5, 300, DEFAULT_CONFIG.healthCheckIntervalSeconds);
  const healthCheckTimeoutSeconds = integer(raw, 'healthCheckTimeoutSeconds', 2, 120, DEFAULT_CONFIG.healthCheckTimeoutSeconds);
  if (healthCheckTimeoutSeconds >= healthCheckIntervalSeconds) {
    throw new ConfigError(
      'healthCheckTimeoutSeconds',
      `must be shorter than healthCheckIntervalSeconds (${healthCheckTimeoutSeconds} >= ${healthCheckIntervalSeconds})`,
    );
  }
  const logRetentionDays = integer(raw, 'logRetentionDays', 1, 3653, DEFAULT_CONFIG.logRetentionDays);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    throw new ConfigError('logRetentionDays', `CloudWatch Logs accepts ${LOG_RETENTION_DAYS.join(', ')}; got ${logRetentionDays}`);
  }
  const alarmCapacityShortfallMinutes = integer(raw, 'alarmCapacityShortfallMinutes', 5, 1440, DEFAULT_CONFIG.alarmCapacityShortfallMinutes);
  if (alarmCapacityShortfallMinutes % 5 !== 0) {
    throw new ConfigError(
      'alarmCapacityShortfallMinutes',
      `must be a multiple of 5 (the AWS/EC2Spot metrics' period), got ${alarmCapacityShortfallMinutes}`,
    );
  }
  const deregistrationDelaySeconds = integer(
    raw,
    'deregistrationDelaySeconds',
    FUNCTION_TIMEOUT_SECONDS,
    3600,
    DEFAULT_CONFIG.deregistrationDelaySeconds,
    `at least the interruption handler's ${FUNCTION_TIMEOUT_SECONDS} s timeout, while ELB shows a target it took out as draining; default 120`,
  );
  const config: SpotWebConfig = {
    instanceTypes: instanceTypes(raw),
    allocationStrategy: allocationStrategy(raw),
    targetCapacity,
    minCapacity,
    maxCapacity,
    requestsPerTarget: integer(raw, 'requestsPerTarget', 1, 1_000_000, DEFAULT_CONFIG.requestsPerTarget),
    scaleOutCooldownSeconds: integer(raw, 'scaleOutCooldownSeconds', 0, 3600, DEFAULT_CONFIG.scaleOutCooldownSeconds),
    scaleInCooldownSeconds: integer(raw, 'scaleInCooldownSeconds', 0, 3600, DEFAULT_CONFIG.scaleInCooldownSeconds),
    deregistrationDelaySeconds,
    appPort: integer(raw, 'appPort', 1024, 65535, DEFAULT_CONFIG.appPort),
    idleTimeoutSeconds: integer(raw, 'idleTimeoutSeconds', IDLE_TIMEOUT_RANGE_SECONDS.min, IDLE_TIMEOUT_RANGE_SECONDS.max, DEFAULT_CONFIG.idleTimeoutSeconds),
    healthCheckPath: healthCheckPath(raw),
    healthCheckIntervalSeconds,
    healthCheckTimeoutSeconds,
    healthyThresholdCount: integer(raw, 'healthyThresholdCount', 2, 10, DEFAULT_CONFIG.healthyThresholdCount),
    unhealthyThresholdCount: integer(raw, 'unhealthyThresholdCount', 2, 10, DEFAULT_CONFIG.unhealthyThresholdCount),
    certificateArn: optionalString(raw, 'certificateArn', ACM_ARN, 'an ACM certificate ARN'),
    notificationEmail: optionalString(raw, 'notificationEmail', EMAIL, 'an email address'),
    drainOnRebalance: boolean(raw, 'drainOnRebalance', DEFAULT_CONFIG.drainOnRebalance),
    capacityRebalance: boolean(raw, 'capacityRebalance', DEFAULT_CONFIG.capacityRebalance),
    rebalanceReplacementStrategy: rebalanceReplacementStrategy(raw),
    rebalanceTerminationDelaySeconds: integer(
      raw,
      'rebalanceTerminationDelaySeconds',
      TERMINATION_DELAY_RANGE.min,
      TERMINATION_DELAY_RANGE.max,
      Math.min(TERMINATION_DELAY_RANGE.max, Math.max(TERMINATION_DELAY_RANGE.min, deregistrationDelaySeconds + REBALANCE_DRAIN_MARGIN_SECONDS)),
    ),
    logRetentionDays,
    // PutMetricAlarm: EvaluationPeriods × Period may not exceed one day (86,400 s), hence 1440 one-minute periods.
    alarmElb5xxPerMinute: integer(raw, 'alarmElb5xxPerMinute', 0, 1_000_000, DEFAULT_CONFIG.alarmElb5xxPerMinute),
    alarmNoHealthyTargetMinutes: integer(raw, 'alarmNoHealthyTargetMinutes', 1, 1440, DEFAULT_CONFIG.alarmNoHealthyTargetMinutes),
    alarmUnhealthyTargetMinutes: integer(raw, 'alarmUnhealthyTargetMinutes', 1, 1440, DEFAULT_CONFIG.alarmUnhealthyTargetMinutes),
    alarmCapacityShortfallMinutes,
    alarmHandlerErrors: integer(raw, 'alarmHandlerErrors', 0, 1_000_000, DEFAULT_CONFIG.alarmHandlerErrors),
    sessionManager: boolean(raw, 'sessionManager', DEFAULT_CONFIG.sessionManager),
  };
  checkRebalance(config);
  return config;
}

/** The context keys `resolveConfig` understands. */
export const CONFIG_KEYS = Object.keys(DEFAULT_CONFIG).concat(['certificateArn', 'notificationEmail']) as ReadonlyArray<
  keyof SpotWebConfig
>;
