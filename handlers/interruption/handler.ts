import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { HandlerConfig } from './config.js';
import { drainInstance, summarize } from './drain.js';
import { parseEvent, type ParsedEvent } from './event.js';
import { formatDrainConfirmation, publishMessage } from './notify.js';
import type { Outcome, OutcomeStatus } from './outcome.js';

export interface HandlerDeps {
  readonly config: HandlerConfig;
  readonly elbv2: ElasticLoadBalancingV2Client;
  /** Required when config.topicArn is set. */
  readonly sns?: SNSClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Lambda passes its context as the second argument; with it, log lines carry the request id. */
export type InterruptionHandler = (event: unknown, context?: Context) => Promise<Outcome>;

const METRIC_NAMES: Record<OutcomeStatus | 'failed', string> = {
  deregistered: 'Deregistered',
  'already-draining': 'AlreadyDraining',
  'not-registered': 'NotRegistered',
  ignored: 'Ignored',
  rejected: 'Rejected',
  failed: 'Failed',
};

/**
 * Builds the handler around clients created once per container. Malformed and irrelevant events resolve
 * (a throw would only make EventBridge retry them); AWS failures that survive the SDK's retries are thrown,
 * so EventBridge retries the event and finally parks it in the dead-letter queue.
 */
export function createHandler(deps: HandlerDeps): InterruptionHandler {
  const { config, elbv2, sns, logger, metrics } = deps;
  if (config.topicArn !== undefined && sns === undefined) {
    throw new Error('createHandler: an SNS client is required when a topic ARN is configured');
  }

  const record = (outcome: Outcome): Outcome => {
    const { status, ...fields } = outcome;
    logger[status === 'rejected' ? 'warn' : 'info'](`interruption event ${status}`, { outcome: status, ...fields });
    metrics.addMetric(METRIC_NAMES[status], MetricUnit.Count, 1);
    return outcome;
  };

  const act = async (parsed: Extract<ParsedEvent, { instanceId: string }>, startedAt: number): Promise<Outcome> => {
    const action: Outcome['action'] = parsed.kind === 'interruption' ? parsed.action : 'rebalance';
    const about = { eventId: parsed.eventId, instanceId: parsed.instanceId, action };
    try {
      const targetGroups = await drainInstance(elbv2, config.targetGroupArns, parsed.instanceId);
      const status = summarize(targetGroups);
      if (status === 'deregistered' && config.topicArn !== undefined && sns !== undefined) {
        const origin = { time: parsed.time, region: parsed.region };
        const { subject, message } = formatDrainConfirmation(parsed.instanceId, action, origin, targetGroups, config.deregistrationDelaySeconds);
        await publishMessage(sns, config.topicArn, subject, message);
      }
      return record({ ...about, status, targetGroups, elapsedMs: elapsedSince(startedAt) });
    } catch (error) {
      logger.error('interruption event failed', {
        ...about,
        outcome: 'failed',
        targetGroupArns: config.targetGroupArns,
        elapsedMs: elapsedSince(startedAt),
        error: error as Error,
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
          return await act(parsed, startedAt);
        case 'interruption':
          return await act(parsed, startedAt);
      }
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

function elapsedSince(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 10) / 10;
}
