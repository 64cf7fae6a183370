/**
 * Lambda's asynchronous invocation, played locally: the layer between "Invoke accepted" (what an EventBridge
 * rule target sees) and the function running. AWS documents it in the Lambda developer guide:
 *
 * - "How Lambda handles errors and retries with asynchronous invocation"
 *   (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html): a function error
 *   (an error the code returns or throws, or a runtime error such as a timeout) is retried "two more times, with
 *   a one-minute wait between the first two attempts, and two minutes between the second and third attempts";
 *   `MaximumRetryAttempts` (0-2) lowers that, `MaximumEventAgeInSeconds` (60 s-6 h, default 6 h) discards an
 *   event that has waited too long.
 * - "Retaining records of asynchronous invocations" / dead-letter queues
 *   (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq): an event
 *   that fails every attempt or expires goes to the function's dead-letter queue "as-is", with the attributes
 *   RequestID (String), ErrorCode (Number, the 3-digit HTTP status code) and ErrorMessage (String, the first
 *   1 KB of the error message); an on-failure destination receives an invocation record instead (request and
 *   response context, the payload, the function's error).
 * - Destinations (same page, "Configuring destinations for asynchronous invocation"): an on-success destination
 *   receives an invocation record with `condition: "Success"` and the function's response as `responsePayload`
 *   once an attempt succeeds; a Lambda function destination is invoked asynchronously (it has its own queue,
 *   retries and dead-letter queue). A record Lambda cannot deliver is dropped and counted in the
 *   DestinationDeliveryFailures metric: the event itself stays a success.
 *
 * Timings are AWS milliseconds, waited on the local cloud's SimulatedClock. Throttling inside Lambda's queue (429s retried for up to 6 h) is not played: the local pool
 * queues an invocation until an execution environment is free instead.
 */
import { randomUUID } from 'node:crypto';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SimulatedClock } from '../clock.js';
import type { LambdaError } from './protocol.js';

/** A function's asynchronous invocation settings (`AWS::Lambda::EventInvokeConfig`, PutFunctionEventInvokeConfig). */
export interface EventInvokeConfig {
  /** 0-2. @default 2 */
  readonly maximumRetryAttempts: number;
  /** 60 s-6 h, in simulated milliseconds. @default 6 h */
  readonly maximumEventAgeMs: number;
  /** `DestinationConfig.OnFailure.Destination`: an SQS queue or Lambda function ARN here (the local cloud plays no other kind). */
  readonly onFailureDestination?: string;
  /** `DestinationConfig.OnSuccess.Destination`: an SQS queue or Lambda function ARN here. */
  readonly onSuccessDestination?: string;
}

export const DEFAULT_EVENT_INVOKE_CONFIG: EventInvokeConfig = { maximumRetryAttempts: 2, maximumEventAgeMs: 6 * 60 * 60 * 1000 };

/** Waits before the 2nd and the 3rd attempt after a function error: one minute, then two (developer guide, above). */
export const FUNCTION_ERROR_RETRY_DELAYS_MS: readonly number[] = [60_000, 120_000];

/** The HTTP status Invoke answers for a function error (it sets X-Amz-Function-Error): what ErrorCode carries. */
const FUNCTION_ERROR_STATUS = 200;

/** One attempt's outcome, as the function's runtime reports it. */
export type AttemptResult = { readonly ok: true; readonly result?: unknown } | { readonly ok: false; readonly error: LambdaError };

export type AsyncOutcome =
  | {
      readonly status: 'succeeded';
      readonly attempts: number;
      /** Set when sending the record to the on-success destination failed (DestinationDeliveryFailures). */
      readonly destinationError?: unknown;
    }
  | {
      readonly status: 'dead-lettered' | 'sent-to-destination' | 'discarded';
      readonly attempts: number;
      /** Why Lambda gave up, in the destination record's terms. */
      readonly condition: 'RetriesExhausted' | 'EventAgeExceeded';
      readonly error: LambdaError;
      /** Set when sending the event to every sink it has (dead-letter queue, destination) failed: the event is lost. */
      readonly sinkError?: unknown;
      /** Sending it to the dead-letter queue failed (AWS/Lambda DeadLetterErrors). */
      readonly deadLetterError?: unknown;
      /** Sending its record to the on-failure destination failed (AWS/Lambda DestinationDeliveryFailures). */
      readonly destinationError?: unknown;
    };

export interface AsyncInvocationReport {
  readonly functionArn: string;
  readonly requestId: string;
  /** The event's `id`, when it has one (an EventBridge event does). */
  readonly eventId?: string;
  readonly outcome: AsyncOutcome;
}

/** Where Lambda sends an event or its invocation record: a dead-letter queue or a destination. */
export interface RecordSinks {
  readonly sendToQueue: (queueArn: string, body: string, attributes?: Record<string, MessageAttributeValue>) => Promise<void>;
  /**
   * Invokes a destination function asynchronously with `record` (Invoke accepted or an error, as Invoke answers).
   * @default none: a Lambda destination fails delivery
   */
  readonly invokeFunction?: (functionArn: string, record: unknown) => Promise<void>;
}

export interface AsyncInvokerProps {
  readonly functionArn: string;
  /** Runs the function once, synchronously. */
  readonly run: (event: unknown) => Promise<AttemptResult>;
  readonly config: EventInvokeConfig;
  /** The function's `DeadLetterConfig.TargetArn` (an SQS queue here). */
  readonly deadLetterArn?: string;
  readonly sinks: RecordSinks;
  /** Waits and event ages are AWS time on this clock. */
  readonly clock: SimulatedClock;
  readonly onAttemptFailed?: (requestId: string, attempt: number, error: LambdaError, retryInMs: number | undefined) => void;
  readonly onOutcome?: (report: AsyncInvocationReport) => void;
  /** Waits an AWS duration, cut short by `signal` (close). Injectable for tests. @default a timer on the clock's real equivalent */
  readonly sleep?: (awsMs: number, signal: AbortSignal) => Promise<void>;
}

/** After attempt `attempt` (1-based) failed `ageMs` into the event's life: the simulated wait, or why to stop. */
export function nextAttempt(attempt: number, ageMs: number, config: EventInvokeConfig): number | 'RetriesExhausted' | 'EventAgeExceeded' {
  if (attempt > config.maximumRetryAttempts) return 'RetriesExhausted';
  const delay = FUNCTION_ERROR_RETRY_DELAYS_MS[attempt - 1] ?? FUNCTION_ERROR_RETRY_DELAYS_MS.at(-1)!;
  // The event waits in the queue for its retry; if its age would pass the maximum first, Lambda discards it.
  return ageMs + delay > config.maximumEventAgeMs ? 'EventAgeExceeded' : delay;
}

/** The SQS attributes Lambda puts on a dead-lettered event (developer guide, "Dead-letter queues"). */
export function lambdaDeadLetterAttributes(requestId: string, error: LambdaError, status = FUNCTION_ERROR_STATUS): Record<string, MessageAttributeValue> {
  const message = `${error.errorType}: ${error.errorMessage}`;
  return {
    RequestID: { DataType: 'String', StringValue: requestId },
    ErrorCode: { DataType: 'Number', StringValue: String(status) },
    ErrorMessage: { DataType: 'String', StringValue: truncateUtf8(message, 1024) || '(no message)' },
  };
}

/**
 * The invocation record a destination receives (developer guide, "Invocation records"): after the last failed
 * attempt (`condition` RetriesExhausted or EventAgeExceeded, the function's error as `responsePayload`) or after a
 * successful one (`Success`, the function's response).
 */
export function invocationRecord(args: {
  readonly functionArn: string;
  readonly requestId: string;
  readonly event: unknown;
  readonly attempts: number;
  readonly at: Date;
  readonly outcome:
    | { readonly condition: 'RetriesExhausted' | 'EventAgeExceeded'; readonly error: LambdaError }
    | { readonly condition: 'Success'; readonly response: unknown };
}): Record<string, unknown> {
  const { outcome } = args;
  return {
    version: '1.0',
    timestamp: args.at.toISOString(),
    requestContext: {
      requestId: args.requestId,
      functionArn: `${args.functionArn}:$LATEST`,
      condition: outcome.condition,
      approximateInvokeCount: args.attempts,
    },
    requestPayload: args.event,
    ...(outcome.condition === 'Success'
      ? { responseContext: { statusCode: 200, executedVersion: '$LATEST' }, responsePayload: outcome.response ?? null }
      : {
          responseContext: { statusCode: FUNCTION_ERROR_STATUS, executedVersion: '$LATEST', functionError: 'Unhandled' },
          responsePayload: { errorType: outcome.error.errorType, errorMessage: outcome.error.errorMessage },
        }),
  };
}

/** The destination kinds the local cloud plays, by the ARN's service. */
const PLAYED_DESTINATIONS = new Set(['sqs', 'lambda']);

export function validateEventInvokeConfig(config: EventInvokeConfig): void {
  const { maximumRetryAttempts: retries, maximumEventAgeMs: age } = config;
  if (!Number.isInteger(retries) || retries < 0 || retries > 2) {
    throw new RangeError(`MaximumRetryAttempts must be an integer from 0 to 2, got ${retries}`);
  }
  if (!(age >= 60_000 && age <= DEFAULT_EVENT_INVOKE_CONFIG.maximumEventAgeMs)) {
    throw new RangeError(`MaximumEventAgeInSeconds must be from 60 to 21600, got ${age / 1000}`);
  }
  for (const [kind, destination] of [['on-failure', config.onFailureDestination], ['on-success', config.onSuccessDestination]] as const) {
    if (destination !== undefined && !PLAYED_DESTINATIONS.has(destination.split(':')[2] ?? '')) {
      throw new RangeError(`${kind} destination ${destination}: the local cloud plays SQS queue and Lambda function destinations only`);
    }
  }
}

/**
 * One function's asynchronous event queue. `enqueue` returns at once (Invoke with InvocationType Event answers
 * 202 before the function runs); the attempts, waits and the final dead-lettering run in the background.
 * `close` cancels what still waits for a retry; `idle` resolves when nothing is queued or running.
 */
export class AsyncInvoker {
  private readonly pending = new Set<Promise<void>>();
  private readonly stop = new AbortController();
  private readonly sleep: (awsMs: number, signal: AbortSignal) => Promise<void>;
  private config: EventInvokeConfig;

  constructor(private readonly props: AsyncInvokerProps) {
    validateEventInvokeConfig(props.config);
    this.config = props.config;
    this.sleep = props.sleep ?? ((awsMs, signal) => abortableSleep(props.clock.toReal(awsMs), signal));
  }

  /**
   * PutFunctionEventInvokeConfig: replaces the whole configuration (a field left out is back to Lambda's default,
   * as the API reference says of Put, unlike Update). Each later decision (retry, discard, destination) reads it,
   * also for events already queued. @throws RangeError as Lambda's InvalidParameterValueException would
   */
  putConfig(config: EventInvokeConfig): void {
    validateEventInvokeConfig(config);
    this.config = config;
  }

  /** Accepts one event; returns its request id (the same for every attempt, as on AWS). */
  enqueue(event: unknown): string {
    if (this.stop.signal.aborted) throw new Error(`function ${this.props.functionArn} is shut down`);
    const requestId = randomUUID();
    const run = this.process(requestId, event).catch(() => undefined);
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
    return requestId;
  }

  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.idle();
  }

  private async process(requestId: string, event: unknown): Promise<void> {
    const { props } = this;
    const { clock } = props;
    const queuedAt = clock.now();
    const ageMs = () => clock.toAws(clock.now() - queuedAt);
    for (let attempt = 1; ; attempt++) {
      // A run that throws (the runtime could not start a process, the function was shut down) fails the attempt
      // as an error Lambda retries and finally dead-letters, never silently.
      const result = await props.run(event).catch((err: unknown) => ({
        ok: false as const,
        error: { errorType: 'Runtime.Unknown', errorMessage: err instanceof Error ? err.message : String(err) },
      }));
      if (result.ok) return this.succeed(requestId, event, attempt, result.result);
      const next = nextAttempt(attempt, ageMs(), this.config);
      props.onAttemptFailed?.(requestId, attempt, result.error, typeof next === 'number' ? next : undefined);
      if (typeof next !== 'number') return this.giveUp(requestId, event, attempt, next, result.error);
      await this.sleep(next, this.stop.signal);
      if (this.stop.signal.aborted) return;
    }
  }

  private async giveUp(
    requestId: string,
    event: unknown,
    attempts: number,
    condition: 'RetriesExhausted' | 'EventAgeExceeded',
    error: LambdaError,
  ): Promise<void> {
    const { props } = this;
    // Each configured sink receives it (the guide describes both without ranking them); with neither, Lambda
    // discards it.
    const destination = this.config.onFailureDestination;
    const failure = (send: Promise<void>) => send.then(() => undefined, (reason: unknown) => reason ?? new Error('send failed'));
    const [deadLetterError, destinationError] = await Promise.all([
      props.deadLetterArn ? failure(props.sinks.sendToQueue(props.deadLetterArn, JSON.stringify(event), lambdaDeadLetterAttributes(requestId, error))) : undefined,
      destination
        ? failure(this.sendRecord(destination, invocationRecord({ functionArn: props.functionArn, requestId, event, attempts, outcome: { condition, error }, at: new Date(props.clock.now()) })))
        : undefined,
    ]);
    const status = props.deadLetterArn ? 'dead-lettered' : destination ? 'sent-to-destination' : 'discarded';
    // Lost only when no configured sink took it: one that failed beside one that succeeded loses nothing.
    const tried = [...(props.deadLetterArn ? [deadLetterError] : []), ...(destination ? [destinationError] : [])];
    const sinkError = tried.length > 0 && tried.every((e) => e !== undefined) ? (deadLetterError ?? destinationError) : undefined;
    this.report(requestId, event, {
      status,
      attempts,
      condition,
      error,
      ...(sinkError !== undefined && { sinkError }),
      ...(deadLetterError !== undefined && { deadLetterError }),
      ...(destinationError !== undefined && { destinationError }),
    });
  }

  private async succeed(requestId: string, event: unknown, attempts: number, response: unknown): Promise<void> {
    const destination = this.config.onSuccessDestination;
    if (destination === undefined) return this.report(requestId, event, { status: 'succeeded', attempts });
    const record = invocationRecord({
      functionArn: this.props.functionArn,
      requestId,
      event,
      attempts,
      outcome: { condition: 'Success', response },
      at: new Date(this.props.clock.now()),
    });
    const destinationError = await this.sendRecord(destination, record).then(
      () => undefined,
      (error: unknown) => error ?? new Error('destination delivery failed'),
    );
    this.report(requestId, event, { status: 'succeeded', attempts, ...(destinationError !== undefined && { destinationError }) });
  }

  /** Sends an invocation record to a destination: a queue gets it as the message body, a function as its event. */
  private sendRecord(destination: string, record: Record<string, unknown>): Promise<void> {
    const { sinks } = this.props;
    if (destination.split(':')[2] === 'lambda') {
      if (!sinks.invokeFunction) return Promise.reject(new Error(`no way to invoke destination ${destination}`));
      return sinks.invokeFunction(destination, record);
    }
    return sinks.sendToQueue(destination, JSON.stringify(record));
  }

  private report(requestId: string, event: unknown, outcome: AsyncOutcome): void {
    const eventId = eventIdOf(event);
    this.props.onOutcome?.({ functionArn: this.props.functionArn, requestId, ...(eventId && { eventId }), outcome });
  }
}

/** The EventBridge event's `id`; for an invocation record (a destination's event), that of the event it carries. */
function eventIdOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const { id, requestContext, requestPayload } = event as { id?: unknown; requestContext?: unknown; requestPayload?: unknown };
  if (typeof id === 'string') return id;
  return requestContext !== undefined ? eventIdOf(requestPayload) : undefined;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  // Cut on a character boundary: a split multi-byte sequence would become U+FFFD.
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
