import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { HandlerConfig } from './config.js';
import { drainInstance, summarize, type TargetGroupResult } from './drain.js';
import { parseEvent, type ParsedEvent } from './event.js';
import type { Outcome, OutcomeStatus } from './outcome.js';
import { causeOf, elapsedSince, invocationBudget, retryWithinBudget, RetryBudgetExhaustedError, type RetryBudgetOptions } from './retry-budget.js';

export interface HandlerDeps {
  readonly config: HandlerConfig;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The handler's own retries inside one invocation (backoff, budget without a Lambda context). */
  readonly retry?: RetryBudgetOptions;
}

/** Lambda passes its context as the second argument; with it, log lines carry the request id. */
export type InterruptionHandler = (event: unknown, context?: Context) => Promise<Outcome>;

const METRIC_NAMES: Record<OutcomeStatus | 'failed', string> = {
  deregistered: 'Deregistered',
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
 *
 * The function returns once the instance is out of service, and its Outcome is its response: Lambda hands it, in
 * the on-success invocation record, to the drain confirmation function (confirmation-handler.ts), which tells a
 * person. The confirmation's three calls (claim, Publish, mark sent) are not this invocation's: held here they
 * kept the execution environment busy after the drain, so the next warning waited for a cold start.
 */
export function createHandler(deps: HandlerDeps): InterruptionHandler {
  const { config, elbv2, logger, metrics } = deps;
  const retry = deps.retry ?? {};

  const record = (outcome: Outcome): Outcome => {
    const { status, ...fields } = outcome;
    logger[status === 'rejected' ? 'warn' : 'info'](`interruption event ${status}`, { outcome: status, ...fields });
    metrics.addMetric(METRIC_NAMES[status], MetricUnit.Count, 1);
    return outcome;
  };

  const act = async (parsed: Extract<ParsedEvent, { instanceId: string }>, startedAt: number, context: Context | undefined): Promise<Outcome> => {
    const action: Outcome['action'] = parsed.kind === 'interruption' ? parsed.action : 'rebalance';
    const about = { eventId: parsed.eventId, instanceId: parsed.instanceId, action };
    const { budgetMs, budgetLeft } = invocationBudget(context, startedAt, retry);
    // Target groups already done survive a failed attempt: a retry only does the rest. A retry after a DeregisterTargets
    // that failed but may have landed calls it again, which ELB answers with success (drain.ts), and finds the target
    // draining: `deregistered` all the same.
    const done = new Map<string, TargetGroupResult>();
    let attempts = 0;
    try {
      const drained = await retryWithinBudget(
        async (abortSignal, attempt) => {
          attempts = attempt;
          const todo = config.targetGroupArns.filter((arn) => !done.has(arn));
          await drainInstance(elbv2, todo, parsed.instanceId, {
            abortSignal,
            onDrained: (r) => done.set(r.targetGroupArn, r),
          });
        },
        budgetLeft(),
        retry,
      );
      attempts = drained.attempts;
      const targetGroups = config.targetGroupArns.map((arn) => done.get(arn)!);
      return record({
        ...about,
        status: summarize(targetGroups),
        targetGroups,
        elapsedMs: elapsedSince(startedAt),
        ...(attempts > 1 && { attempts }),
      });
    } catch (thrown) {
      // What the log and Lambda see is the AWS failure itself, with how long it was tried.
      const error = causeOf(thrown);
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
