import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { randomUUID } from 'node:crypto';
import { FUNCTION_TIMEOUT_SECONDS, type HandlerConfig } from './config.js';
import type { ClaimBasis, DrainConfirmations } from './confirmations.js';
import { drainInstance, summarize, type TargetGroupResult } from './drain.js';
import { parseEvent, type ParsedEvent } from './event.js';
import { formatDrainConfirmation, publishMessage } from './notify.js';
import type { ConfirmationOutcome, Outcome, OutcomeStatus } from './outcome.js';
import { retryBudgetMs, retryWithinBudget, RetryBudgetExhaustedError, type RetryBudgetOptions } from './retry-budget.js';

export interface HandlerDeps {
  readonly config: HandlerConfig;
  readonly elbv2: ElasticLoadBalancingV2Client;
  /** Required when config.topicArn is set. */
  readonly sns?: SNSClient;
  /** Which delivery confirms a drain (confirmations.ts); required when config.topicArn is set. */
  readonly confirmations?: DrainConfirmations;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The handler's own retries inside one invocation (backoff, budget without a Lambda context). */
  readonly retry?: RetryBudgetOptions;
}

/** Lambda passes its context as the second argument; with it, log lines carry the request id. */
export type InterruptionHandler = (event: unknown, context?: Context) => Promise<Outcome>;

/** The claim lease without a Lambda context (a direct call): the function's timeout. */
const LEASE_WITHOUT_CONTEXT_MS = FUNCTION_TIMEOUT_SECONDS * 1000;
/** Releasing a claim after a failed publish: one attempt, within the function's safety margin. */
const RELEASE_TIMEOUT_MS = 1_000;

const METRIC_NAMES: Record<OutcomeStatus | 'failed', string> = {
  deregistered: 'Deregistered',
  'already-draining': 'AlreadyDraining',
  'not-registered': 'NotRegistered',
  ignored: 'Ignored',
  rejected: 'Rejected',
  failed: 'Failed',
};

/**
 * Builds the handler around clients created once per container.
 *
 * The retry contract, as AWS runs it: EventBridge invokes this function asynchronously, so EventBridge's own retry
 * policy only covers the invoke call itself; a thrown error is Lambda's to retry, about one minute and then two
 * minutes later (the function's EventInvokeConfig), after which Lambda sends the event to the function's
 * dead-letter queue. A minute is half the warning, so transient AWS failures are retried here, inside one
 * invocation, until shortly before the function's timeout (retry-budget.ts); only what outlasts that is thrown,
 * logged first, for Lambda to retry and finally dead-letter. Malformed and irrelevant events resolve: a throw
 * would only make Lambda retry what retrying cannot fix.
 */
export function createHandler(deps: HandlerDeps): InterruptionHandler {
  const { config, elbv2, sns, confirmations, logger, metrics } = deps;
  const retry = deps.retry ?? {};
  if (config.topicArn !== undefined && sns === undefined) {
    throw new Error('createHandler: an SNS client is required when a topic ARN is configured');
  }
  if (config.topicArn !== undefined && confirmations === undefined) {
    throw new Error('createHandler: a confirmation store is required when a topic ARN is configured');
  }

  const record = (outcome: Outcome): Outcome => {
    const { status, ...fields } = outcome;
    logger[status === 'rejected' ? 'warn' : 'info'](`interruption event ${status}`, { outcome: status, ...fields });
    metrics.addMetric(METRIC_NAMES[status], MetricUnit.Count, 1);
    return outcome;
  };

  /**
   * Sends the drain confirmation if this delivery wins the instance's claim (confirmations.ts). A failed publish
   * releases the claim and throws, so Lambda's retry (which finds the instance draining or gone) resumes it and publishes.
   */
  const confirm = async (
    parsed: Extract<ParsedEvent, { instanceId: string }>,
    action: NonNullable<Outcome['action']>,
    basis: ClaimBasis,
    targetGroups: readonly TargetGroupResult[],
    deadline: number,
    budgetLeft: () => number,
  ): Promise<ConfirmationOutcome | undefined> => {
    if (config.topicArn === undefined || sns === undefined || confirmations === undefined) return undefined;
    const { topicArn } = config;
    const instanceId = parsed.instanceId;
    const owner = randomUUID();
    const deregistered = targetGroups.filter((r) => r.outcome === 'deregistered').map((r) => r.targetGroupArn);
    const { value: claim } = await retryWithinBudget(
      (abortSignal) =>
        confirmations.claim({ instanceId, basis, owner, leaseExpiresAt: deadline, targetGroupArns: deregistered, eventId: parsed.eventId }, abortSignal),
      budgetLeft(),
      retry,
    );
    if (!claim.claimed) return claim.state === undefined ? 'not-drained-by-handler' : claim.state === 'sent' ? 'sent-earlier' : 'sending-elsewhere';

    const origin = { time: parsed.time, region: parsed.region };
    const { subject, message } = formatDrainConfirmation(instanceId, action, origin, claim.targetGroupArns, config.deregistrationDelaySeconds);
    try {
      await retryWithinBudget((abortSignal) => publishMessage(sns, topicArn, subject, message, abortSignal), budgetLeft(), retry);
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
      // delivery of the event after that (none, unless Lambda or EventBridge retries it) would send it again.
      const error = thrown instanceof RetryBudgetExhaustedError ? (thrown.lastError as Error) : (thrown as Error);
      logger.warn('confirmation published but not marked sent', { instanceId, error });
    }
    return 'published';
  };

  const act = async (parsed: Extract<ParsedEvent, { instanceId: string }>, startedAt: number, context: Context | undefined): Promise<Outcome> => {
    const action: Outcome['action'] = parsed.kind === 'interruption' ? parsed.action : 'rebalance';
    const about = { eventId: parsed.eventId, instanceId: parsed.instanceId, action };
    const remainingMs = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
    const budgetMs = retryBudgetMs(remainingMs, retry);
    // The function's deadline (epoch ms): how long a confirmation claim taken by this invocation is its own.
    const deadline = Date.now() + (remainingMs ?? LEASE_WITHOUT_CONTEXT_MS);
    // 0 stays 0 (one pass, no deadline); a spent budget leaves 1 ms, so a late step is cut at once.
    const budgetLeft = () => (budgetMs === 0 ? 0 : Math.max(1, budgetMs - (performance.now() - startedAt)));
    // Target groups already done survive a failed attempt: a retry only does the rest, and the verdict still says
    // "deregistered" for the ones this invocation deregistered.
    const done = new Map<string, TargetGroupResult>();
    let attempts = 0;
    try {
      const drained = await retryWithinBudget(
        async (abortSignal, attempt) => {
          attempts = attempt;
          const todo = config.targetGroupArns.filter((arn) => !done.has(arn));
          await drainInstance(elbv2, todo, parsed.instanceId, { abortSignal, onDrained: (r) => done.set(r.targetGroupArn, r) });
        },
        budgetLeft(),
        retry,
      );
      attempts = drained.attempts;
      const targetGroups = config.targetGroupArns.map((arn) => done.get(arn)!);
      const status = summarize(targetGroups);
      // The drain is done before anything is written: the confirmation never delays the deregistration. A
      // delivery that did not deregister may still owe the confirmation of an earlier one (confirmations.ts).
      const basis = status === 'deregistered' ? 'deregistered' : 'resume';
      const confirmation = await confirm(parsed, action, basis, targetGroups, deadline, budgetLeft);
      return record({
        ...about,
        status,
        targetGroups,
        elapsedMs: elapsedSince(startedAt),
        ...(attempts > 1 && { attempts }),
        ...(confirmation !== undefined && { confirmation }),
      });
    } catch (thrown) {
      // What the log and Lambda see is the AWS failure itself, with how long it was tried.
      const error = thrown instanceof RetryBudgetExhaustedError ? (thrown.lastError as Error) : (thrown as Error);
      logger.error('interruption event failed', {
        ...about,
        outcome: 'failed',
        targetGroupArns: config.targetGroupArns,
        drainedTargetGroups: [...done.values()],
        attempts: thrown instanceof RetryBudgetExhaustedError ? thrown.attempts : attempts,
        retryBudgetMs: Math.round(budgetMs),
        elapsedMs: elapsedSince(startedAt),
        error,
      });
      metrics.addMetric(METRIC_NAMES.failed, MetricUnit.Count, 1);
      throw error;
    }
  };

  return async (event, context) => {
    const startedAt = performance.now();
    if (context !== undefined) logger.addContext(context);
    try {
      const parsed = parseEvent(event);
      switch (parsed.kind) {
        case 'malformed':
          return record({ status: 'rejected', eventId: parsed.eventId, reason: parsed.reason, targetGroups: [], elapsedMs: elapsedSince(startedAt) });
        case 'other':
          return record({
            status: 'ignored',
            eventId: parsed.eventId,
            reason: `detail-type "${parsed.detailType}" is not handled`,
            targetGroups: [],
            elapsedMs: elapsedSince(startedAt),
          });
        case 'rebalance':
          if (!config.drainOnRebalance) {
            return record({
              status: 'ignored',
              eventId: parsed.eventId,
              instanceId: parsed.instanceId,
              action: 'rebalance',
              reason: 'draining on rebalance recommendation is disabled',
              targetGroups: [],
              elapsedMs: elapsedSince(startedAt),
            });
          }
          return await act(parsed, startedAt, context);
        case 'interruption':
          return await act(parsed, startedAt, context);
      }
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

function elapsedSince(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 10) / 10;
}
