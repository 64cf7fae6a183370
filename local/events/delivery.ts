/**
 * Delivery of one event to one rule target the way EventBridge does it: retries with exponential back-off and
 * jitter until the target's RetryPolicy runs out (MaximumRetryAttempts or MaximumEventAgeInSeconds, whichever
 * comes first), then the dead-letter queue. Errors the caller marks as not retryable (AWS: missing permissions,
 * a target that no longer exists) go to the dead-letter queue at once.
 *
 * Never loses an event silently: if the dead-letter send fails too, DeadLetterFailedError is thrown carrying
 * both errors; without a dead-letter target the result says "dropped" (as AWS drops it) with the error.
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { REAL_TIME, type SimulatedClock } from '../clock.js';

export interface RetryPolicy {
  /** 0 to 185 (AWS default 185). */
  readonly maximumRetryAttempts: number;
  /** 60 s to 24 h (AWS default 24 h), in AWS milliseconds (see DeliveryOptions.clock). */
  readonly maximumEventAgeMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maximumRetryAttempts: 185, maximumEventAgeMs: 24 * 60 * 60 * 1000 };

export interface BackoffOptions {
  /** Upper bound of the first retry's delay. */
  readonly baseMs: number;
  /** The bound doubles per retry up to this. */
  readonly capMs: number;
}

/** Our choice: AWS documents "exponential back off and jitter" but not its constants. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, capMs: 5 * 60 * 1000 };

export type ExhaustedRetryCondition = 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds';

export interface DeliveryFailure {
  /** Calls of deliver made, the first included. */
  readonly attempts: number;
  /** attempts - 1, as AWS reports RETRY_ATTEMPTS. */
  readonly retryAttempts: number;
  /** Absent when the error was not retryable. */
  readonly exhaustedRetryCondition?: ExhaustedRetryCondition;
}

export interface DeliveryOptions {
  readonly backoff?: BackoffOptions;
  /** Back-off waits and the event's age are AWS durations, kept on this clock. @default REAL_TIME */
  readonly clock?: SimulatedClock;
  /** Simulated age of the event when delivery starts (ms). Default 0. */
  readonly initialAgeMs?: number;
  /** Default: every error is retryable. */
  readonly isRetryable?: (err: unknown) => boolean;
  readonly onRetry?: (attempt: number, err: unknown, delayMs: number) => void;
  /** Sends the event to the dead-letter target; absent when the target has no DeadLetterConfig. */
  readonly deadLetter?: (err: unknown, failure: DeliveryFailure) => Promise<void>;
  /** Injectable for tests. @default Math.random */
  readonly random?: () => number;
}

export type DeliveryResult =
  | { readonly status: 'delivered'; readonly attempts: number }
  | ({ readonly status: 'dead-lettered' | 'dropped'; readonly error: unknown } & DeliveryFailure);

export class DeadLetterFailedError extends Error {
  constructor(
    readonly deliveryError: unknown,
    readonly deadLetterError: unknown,
    readonly failure: DeliveryFailure,
  ) {
    super(
      `Event LOST: delivery failed after ${failure.attempts} attempt(s) (${messageOf(deliveryError)}) ` +
        `and sending it to the dead-letter queue failed too (${messageOf(deadLetterError)})`,
      { cause: deadLetterError },
    );
    this.name = 'DeadLetterFailedError';
  }
}

export async function deliverWithRetry(
  deliver: () => Promise<void>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  opts: DeliveryOptions = {},
): Promise<DeliveryResult> {
  validatePolicy(policy);
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const clock = opts.clock ?? REAL_TIME;
  const random = opts.random ?? Math.random;
  const startedAt = clock.now();
  const ageMs = () => (opts.initialAgeMs ?? 0) + clock.toAws(clock.now() - startedAt);

  for (let attempt = 1; ; attempt++) {
    let error: unknown;
    try {
      await deliver();
      return { status: 'delivered', attempts: attempt };
    } catch (err) {
      error = err;
    }
    const next = decide(attempt, error);
    if (typeof next === 'number') {
      opts.onRetry?.(attempt, error, next);
      await clock.sleep(next);
      continue;
    }
    return giveUp(error, { attempts: attempt, retryAttempts: attempt - 1, ...(next && { exhaustedRetryCondition: next }) });
  }

  /** After a failed attempt: the simulated delay before retrying, or why to stop (undefined: not retryable). */
  function decide(attempt: number, err: unknown): number | ExhaustedRetryCondition | undefined {
    if (opts.isRetryable && !opts.isRetryable(err)) return undefined;
    if (attempt - 1 >= policy.maximumRetryAttempts) return 'MaximumRetryAttempts';
    const delayMs = backoffDelay(attempt - 1, backoff, random);
    if (ageMs() + delayMs > policy.maximumEventAgeMs) return 'MaximumEventAgeInSeconds';
    return delayMs;
  }

  async function giveUp(err: unknown, failure: DeliveryFailure): Promise<DeliveryResult> {
    if (!opts.deadLetter) return { status: 'dropped', error: err, ...failure };
    try {
      await opts.deadLetter(err, failure);
    } catch (dlqErr) {
      throw new DeadLetterFailedError(err, dlqErr, failure);
    }
    return { status: 'dead-lettered', error: err, ...failure };
  }
}

/** "Full jitter": uniform in [0, min(cap, base × 2^retry)). */
export function backoffDelay(retryIndex: number, backoff: BackoffOptions, random: () => number = Math.random): number {
  const bound = Math.min(backoff.capMs, backoff.baseMs * 2 ** retryIndex);
  return random() * bound;
}

function validatePolicy(policy: RetryPolicy): void {
  const { maximumRetryAttempts: retries, maximumEventAgeMs: age } = policy;
  if (!Number.isInteger(retries) || retries < 0 || retries > 185) {
    throw new RangeError(`maximumRetryAttempts must be an integer from 0 to 185, got ${retries}`);
  }
  if (!(age >= 60_000 && age <= DEFAULT_RETRY_POLICY.maximumEventAgeMs)) {
    throw new RangeError(`maximumEventAgeMs must be from 60 s to 24 h, got ${age}`);
  }
}

export interface DeadLetterAttributesInput extends DeliveryFailure {
  readonly ruleArn: string;
  readonly targetArn: string;
  /** As AWS names them, e.g. ERROR_FROM_TARGET, NO_RESOURCE, NO_PERMISSIONS, THROTTLING. */
  readonly errorCode: string;
  readonly errorMessage: string;
}

/**
 * The SQS message attributes EventBridge puts on a dead-lettered event (user guide, "Using dead-letter
 * queues": rule ARN, target ARN, error code, error message, exhausted retry condition, retry attempts).
 * The message body is the original event as JSON, not the transformed target input.
 * EXHAUSTED_RETRY_CONDITION is present only when a retry limit ended the delivery.
 */
export function deadLetterMessageAttributes(input: DeadLetterAttributesInput): Record<string, MessageAttributeValue> {
  const attributes: Record<string, string> = {
    RULE_ARN: input.ruleArn,
    TARGET_ARN: input.targetArn,
    ERROR_CODE: input.errorCode,
    // SQS rejects empty attribute values.
    ERROR_MESSAGE: input.errorMessage || '(no message)',
    RETRY_ATTEMPTS: String(input.retryAttempts),
    ...(input.exhaustedRetryCondition && { EXHAUSTED_RETRY_CONDITION: input.exhaustedRetryCondition }),
  };
  for (const [name, value] of Object.entries(attributes)) {
    if (!value) throw new Error(`Dead-letter attribute ${name} must not be empty`);
  }
  return Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
