import { bounded } from './event.js';

/** What the stack tells the interruption handler (the drain) through its environment. */
export interface HandlerConfig {
  /** Target groups the fleet's instances are registered in; also defines which instances are "ours". */
  readonly targetGroupArns: readonly string[];
  /** Whether a rebalance recommendation drains the instance as an interruption warning does. */
  readonly drainOnRebalance: boolean;
}

/** What the stack tells the drain confirmation function (confirmation-handler.ts) through its environment. */
export interface ConfirmationConfig {
  /** The handler's target groups: a record naming any other is not the handler's (confirmation-record.ts). */
  readonly targetGroupArns: readonly string[];
  /** Where the confirmation goes. */
  readonly topicArn: string;
  /** DynamoDB table that decides which invocation sends an instance's drain confirmation (confirmations.ts). */
  readonly confirmationTableName: string;
  /** The target groups' deregistration delay, quoted in the message. */
  readonly deregistrationDelaySeconds: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Each function's timeout, in seconds (the handler's and the confirmation's): the stack sets it from this
 * (infra/interruption-handler.ts), and a call without a Lambda context (tests, a direct invocation) takes it as the
 * function's deadline.
 */
export const FUNCTION_TIMEOUT_SECONDS = 60;

/** A target group ARN, as ELB writes it. */
export const TARGET_GROUP_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads the handler's configuration from an environment record. Throws a ConfigError naming the variable on any
 * bad value, so a misconfigured function fails at init instead of silently draining nothing.
 */
export function parseConfig(env: Environment): HandlerConfig {
  return {
    targetGroupArns: parseTargetGroupArns(env.TARGET_GROUP_ARNS),
    drainOnRebalance: parseBoolean('DRAIN_ON_REBALANCE', env.DRAIN_ON_REBALANCE, false),
  };
}

/** Reads the confirmation function's configuration; every variable is required. @throws ConfigError as parseConfig */
export function parseConfirmationConfig(env: Environment): ConfirmationConfig {
  return {
    targetGroupArns: parseTargetGroupArns(env.TARGET_GROUP_ARNS),
    topicArn: parseTopicArn(env.TOPIC_ARN),
    confirmationTableName: parseTableName(env.CONFIRMATION_TABLE_NAME),
    deregistrationDelaySeconds: parseDelay(env.DEREGISTRATION_DELAY_SECONDS),
  };
}

function parseTargetGroupArns(raw: string | undefined): string[] {
  const arns = (raw ?? '')
    .split(',')
    .map((arn) => arn.trim())
    .filter((arn) => arn !== '');
  if (arns.length === 0) {
    throw new ConfigError('TARGET_GROUP_ARNS is required: a comma-separated list of target group ARNs');
  }
  const invalid = arns.filter((arn) => !TARGET_GROUP_ARN.test(arn));
  if (invalid.length > 0) {
    throw new ConfigError(`TARGET_GROUP_ARNS holds values that are not target group ARNs: ${invalid.join(', ')}`);
  }
  return [...new Set(arns)];
}

function parseTopicArn(raw: string | undefined): string {
  const arn = raw?.trim();
  if (arn === undefined || arn === '') throw new ConfigError('TOPIC_ARN is required: the SNS topic the drain confirmation goes to');
  if (!TOPIC_ARN.test(arn)) throw new ConfigError(`TOPIC_ARN is not an SNS topic ARN: ${arn}`);
  return arn;
}

// DynamoDB table names: 3-255 characters of a-z, A-Z, 0-9, '_', '-' and '.'.
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

function parseTableName(raw: string | undefined): string {
  const name = raw?.trim();
  if (name === undefined || name === '') {
    throw new ConfigError('CONFIRMATION_TABLE_NAME is required: the DynamoDB table that makes each drain confirmation go out once');
  }
  if (!TABLE_NAME.test(name)) throw new ConfigError(`CONFIRMATION_TABLE_NAME is not a DynamoDB table name: ${bounded(name)}`);
  return name;
}

function parseBoolean(name: string, raw: string | undefined, fallback: boolean): boolean {
  const value = raw?.trim().toLowerCase();
  if (value === undefined || value === '') return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigError(`${name} must be "true" or "false", got "${raw}"`);
}

function parseDelay(raw: string | undefined): number {
  const value = raw?.trim();
  // Required: the stack states the delay once; a default here could only disagree with the target group.
  if (value === undefined || value === '') {
    throw new ConfigError('DEREGISTRATION_DELAY_SECONDS is required: the target groups\' deregistration delay in seconds, 0 to 3600');
  }
  // ELBv2 accepts 0-3600 seconds for deregistration_delay.timeout_seconds.
  if (!/^\d+$/.test(value) || Number(value) > 3600) {
    throw new ConfigError(`DEREGISTRATION_DELAY_SECONDS must be an integer from 0 to 3600, got "${raw}"`);
  }
  return Number(value);
}
