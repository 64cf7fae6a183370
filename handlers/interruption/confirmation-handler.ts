import type { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { randomUUID } from 'node:crypto';
import { FUNCTION_TIMEOUT_SECONDS, type ConfirmationConfig } from './config.js';
import { parseConfirmationRecord, type ConfirmationRequest } from './confirmation-record.js';
import type { DrainConfirmations } from './confirmations.js';
import { formatDrainConfirmation, publishMessage } from './notify.js';
import { causeOf, elapsedSince, invocationBudget, retryWithinBudget, type RetryBudgetOptions } from './retry-budget.js';

export interface ConfirmationHandlerDeps {
  readonly config: ConfirmationConfig;
  readonly sns: SNSClient;
  /** Which invocation confirms a drain (confirmations.ts). */
  readonly confirmations: DrainConfirmations;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Retries inside one invocation (backoff, budget without a Lambda context). @default retry-budget.ts's defaults */
  readonly retry?: RetryBudgetOptions;
}

/**
 * What became of one record: `published` by this invocation; `sent-earlier` or `sending-elsewhere` by another
 * invocation of ours; `not-drained-by-handler` when no delivery of ours found the instance in a target group (a
 * foreign one, or one that left more than the deregistration delay before) and none took a claim to resume;
 * `ignored` when the handler acted on nothing. `rejected`, a record that is not the handler's, is logged and counted
 * but not returned: it is thrown (RejectedRecordError).
 */
export type ConfirmationStatus = 'published' | 'sent-earlier' | 'sending-elsewhere' | 'not-drained-by-handler' | 'ignored' | 'rejected';

/** What the function returns and logs for one record. */
export interface ConfirmationResult {
  readonly status: ConfirmationStatus;
  /** The warning's EventBridge id, from the record's `requestPayload`. */
  readonly eventId: string | undefined;
  /** The drained instance, for a record of an interruption acted on. */
  readonly instanceId?: string;
  /** Why a record was ignored or rejected (bounded). */
  readonly reason?: string;
  /** Time spent in this invocation, ms. */
  readonly elapsedMs: number;
}

export type ConfirmationHandler = (record: unknown, context?: Context) => Promise<ConfirmationResult>;

/** A record that is not this stack's handler's: thrown after it is logged and counted (ConfirmationRejected). */
export class RejectedRecordError extends Error {
  override readonly name = 'RejectedRecordError';
}

/** The claim lease without a Lambda context (a direct call): the function's timeout. */
const LEASE_WITHOUT_CONTEXT_MS = FUNCTION_TIMEOUT_SECONDS * 1000;
/** Releasing a claim after a failed publish: one attempt, within the function's safety margin. */
const RELEASE_TIMEOUT_MS = 1_000;

const METRIC_NAMES: Record<ConfirmationStatus | 'failed', string> = {
  published: 'ConfirmationPublished',
  'sent-earlier': 'ConfirmationSentEarlier',
  'sending-elsewhere': 'ConfirmationSendingElsewhere',
  'not-drained-by-handler': 'ConfirmationNotOurs',
  ignored: 'ConfirmationIgnored',
  rejected: 'ConfirmationRejected',
  failed: 'ConfirmationFailed',
};

/**
 * Builds the drain confirmation function: Lambda invokes it asynchronously with the interruption handler's
 * on-success invocation record (confirmation-record.ts), and it sends the person's message once per instance.
 *
 * The claim decides which invocation sends it (confirmations.ts): concurrent duplicates of one warning each reach
 * here, and one wins. A failed publish releases the claim and throws, so Lambda's retry of this record (a minute
 * later, then two; Lambda developer guide, "How Lambda handles errors and retries with asynchronous invocation")
 * takes the claim again and publishes; after the last retry the record goes to the dead-letter queue, whose alarm
 * tells a person. A record that is not the handler's is logged, counted (`rejected`) and thrown: retrying cannot
 * fix it, but between two functions deployed together it means their contract broke (a half-finished update), and
 * the dead-letter queue, where Lambda puts it after its two retries, is where a person is told.
 */
export function createConfirmationHandler(deps: ConfirmationHandlerDeps): ConfirmationHandler {
  const { config, sns, confirmations, logger, metrics } = deps;
  const retry = deps.retry ?? {};

  const record = (result: ConfirmationResult): ConfirmationResult => {
    const { status, ...fields } = result;
    logger[status === 'rejected' ? 'warn' : 'info'](`drain confirmation ${status}`, { outcome: status, ...fields });
    metrics.addMetric(METRIC_NAMES[status], MetricUnit.Count, 1);
    return result;
  };

  const confirm = async (request: Extract<ConfirmationRequest, { kind: 'confirm' }>, startedAt: number, context: Context | undefined) => {
    const { instanceId, eventId } = request;
    const { remainingMs, budgetMs, budgetLeft } = invocationBudget(context, startedAt, retry);
    // The claim is this invocation's until its deadline (epoch ms); Lambda's retry comes after it.
    const deadline = Date.now() + (remainingMs ?? LEASE_WITHOUT_CONTEXT_MS);
    const owner = randomUUID();
    const done = (status: ConfirmationStatus) => record({ status, eventId, instanceId, elapsedMs: elapsedSince(startedAt) });
    try {
      const { value: claim } = await retryWithinBudget(
        (abortSignal) =>
          confirmations.claim(
            { instanceId, basis: request.basis, owner, leaseExpiresAt: deadline, targetGroupArns: request.deregisteredFrom, eventId },
            abortSignal,
          ),
        budgetLeft(),
        retry,
      );
      if (!claim.claimed) return done(claim.state === undefined ? 'not-drained-by-handler' : claim.state === 'sent' ? 'sent-earlier' : 'sending-elsewhere');

      const { subject, message } = formatDrainConfirmation(instanceId, request.action, request.origin, claim.targetGroupArns, config.deregistrationDelaySeconds);
      try {
        await retryWithinBudget((abortSignal) => publishMessage(sns, config.topicArn, subject, message, abortSignal), budgetLeft(), retry);
      } catch (error) {
        // One short attempt: the retry budget is spent by now. Should it fail too, the claim's lease (this
        // function's deadline) has run out before Lambda's retry comes a minute later, which then takes it over.
        await confirmations.release(instanceId, owner, AbortSignal.timeout(RELEASE_TIMEOUT_MS)).catch((releaseError: unknown) => {
          logger.warn('confirmation claim not released; it lapses at the function deadline', { instanceId, error: releaseError as Error });
        });
        throw error;
      }
      try {
        await retryWithinBudget((abortSignal) => confirmations.markSent(instanceId, owner, abortSignal), budgetLeft(), retry);
      } catch (thrown) {
        // The message is out: nothing to retry. Left `sending`, the claim lapses at the deadline, and only a
        // record of the same instance after that (none, unless Lambda or EventBridge redelivers) would send it again.
        logger.warn('confirmation published but not marked sent', { instanceId, error: causeOf(thrown) });
      }
      return done('published');
    } catch (thrown) {
      const error = causeOf(thrown);
      logger.error('drain confirmation failed', { eventId, instanceId, outcome: 'failed', retryBudgetMs: Math.round(budgetMs), elapsedMs: elapsedSince(startedAt), error });
      metrics.addMetric(METRIC_NAMES.failed, MetricUnit.Count, 1);
      throw error;
    }
  };

  return async (input, context) => {
    const startedAt = performance.now();
    if (context !== undefined) logger.addContext(context);
    try {
      const request = parseConfirmationRecord(input, config.targetGroupArns);
      switch (request.kind) {
        case 'malformed':
          record({ status: 'rejected', eventId: request.eventId, reason: request.reason, elapsedMs: elapsedSince(startedAt) });
          throw new RejectedRecordError(`not a success record of this stack's interruption handler: ${request.reason}`);
        case 'nothing':
          return record({ status: 'ignored', eventId: request.eventId, reason: request.reason, elapsedMs: elapsedSince(startedAt) });
        case 'confirm':
          return await confirm(request, startedAt, context);
      }
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
