import { deadLetterMessageAttributes, deliverWithRetry, type DeliveryResult, type RetryPolicy } from './delivery.js';
import { compileEventPattern, type EventMatcher } from './pattern.js';
import { renderTargetInput, type TargetInputSettings } from './target-input.js';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SimulatedClock } from '../clock.js';

/** A rule target as CloudFormation / PutTargets describe it (physical ARNs resolved). */
export interface RuleTarget extends TargetInputSettings {
  readonly Id: string;
  readonly Arn: string;
  readonly RetryPolicy?: { readonly MaximumRetryAttempts?: number; readonly MaximumEventAgeInSeconds?: number };
  readonly DeadLetterConfig?: { readonly Arn?: string };
}

export interface RuleDefinition {
  readonly name: string;
  readonly arn: string;
  readonly eventPattern: unknown;
  readonly enabled: boolean;
  readonly targets: readonly RuleTarget[];
}

/**
 * How a target service accepts its input: a Lambda asynchronous Invoke, an SNS publish… Resolves when the
 * service has accepted it (for Lambda: queued, not run); rejects with an error named as the service names it
 * (`ResourceNotFoundException`, `AccessDeniedException`, `TooManyRequestsException`…).
 */
export type TargetDeliverer = (targetArn: string, input: string, event: unknown, ruleArn: string) => Promise<void>;

export interface LocalEventBusProps {
  readonly rules: readonly RuleDefinition[];
  /** By the ARN's service (`lambda`, `sns`, …). A target whose service has none is reported, not skipped silently. */
  readonly deliverers: Readonly<Record<string, TargetDeliverer>>;
  /** Sends the original event to an SQS dead-letter queue, by the queue's ARN. */
  readonly sendToDeadLetterQueue: (queueArn: string, body: string, attributes: Record<string, MessageAttributeValue>) => Promise<void>;
  /** Keeps the retry back-off and event ages. */
  readonly clock: SimulatedClock;
  readonly onDelivery?: (report: DeliveryReport) => void;
  readonly onRetry?: (rule: string, targetId: string, attempt: number, err: unknown) => void;
}

export interface DeliveryReport {
  /** The event's `id`. */
  readonly eventId?: string;
  readonly rule: string;
  readonly targetId: string;
  readonly targetArn: string;
  readonly result: DeliveryResult;
}

/** EventBridge's defaults when a target sets no RetryPolicy. */
const AWS_DEFAULT_RETRIES = 185;
const AWS_DEFAULT_AGE_S = 24 * 60 * 60;

function serviceOf(arn: string): string {
  return arn.split(':')[2] ?? '';
}

const NOT_RETRYABLE = new Set(['NO_RESOURCE', 'NO_PERMISSIONS']);

/** EventBridge's ERROR_CODE for a failed target call. */
export function errorCode(err: unknown): string {
  const name = err instanceof Error ? err.name : '';
  if (/Throttl|TooManyRequests/i.test(name)) return 'THROTTLING';
  if (/NotFound|NoSuch/i.test(name)) return 'NO_RESOURCE';
  if (/AccessDenied|NotAuthorized/i.test(name)) return 'NO_PERMISSIONS';
  return 'ERROR_FROM_TARGET';
}

/**
 * The default event bus, played locally: matches each event against the stack's rules and delivers it to
 * every target of every matching rule with the target's input settings, retry policy and dead-letter queue.
 */
export class LocalEventBus {
  private readonly compiled: Array<{ rule: RuleDefinition; matches: EventMatcher }>;

  constructor(private readonly props: LocalEventBusProps) {
    this.compiled = props.rules.map((rule) => ({ rule, matches: compileEventPattern(rule.eventPattern) }));
    for (const { rule } of this.compiled) {
      for (const target of rule.targets) {
        if (!props.deliverers[serviceOf(target.Arn)]) {
          throw new Error(`rule ${rule.name}: target ${target.Id} (${target.Arn}) is a service the local cloud does not deliver to`);
        }
      }
    }
  }

  /** Rules that would receive the event (TestEventPattern, locally). */
  matchingRules(event: unknown): RuleDefinition[] {
    return this.compiled.filter((c) => c.rule.enabled && c.matches(event)).map((c) => c.rule);
  }

  /** Delivers to every matching target; resolves when each delivery has succeeded, dead-lettered or been dropped. */
  async publish(event: unknown): Promise<DeliveryReport[]> {
    const deliveries = this.matchingRules(event).flatMap((rule) => rule.targets.map((target) => this.deliver(rule, target, event)));
    return Promise.all(deliveries);
  }

  private async deliver(rule: RuleDefinition, target: RuleTarget, event: unknown): Promise<DeliveryReport> {
    const { props } = this;
    const policy: RetryPolicy = {
      maximumRetryAttempts: target.RetryPolicy?.MaximumRetryAttempts ?? AWS_DEFAULT_RETRIES,
      maximumEventAgeMs: (target.RetryPolicy?.MaximumEventAgeInSeconds ?? AWS_DEFAULT_AGE_S) * 1000,
    };
    const deliverer = props.deliverers[serviceOf(target.Arn)]!;
    const input = renderTargetInput(target, event, { ruleArn: rule.arn, ruleName: rule.name });
    const dlqArn = target.DeadLetterConfig?.Arn;
    const result = await deliverWithRetry(() => deliverer(target.Arn, input, event, rule.arn), policy, {
      clock: props.clock,
      // "Errors that result from missing permissions to a target, or if a target resource no longer exists" are
      // not retried: the event goes to the dead-letter queue at once (EventBridge user guide, "Using dead-letter
      // queues to process undelivered events", https://docs.aws.amazon.com/eventbridge/latest/userguide/rule-dlq.html).
      isRetryable: (err) => !NOT_RETRYABLE.has(errorCode(err)),
      onRetry: (attempt, err) => props.onRetry?.(rule.name, target.Id, attempt, err),
      deadLetter: dlqArn
        ? (err, failure) =>
            props.sendToDeadLetterQueue(
              dlqArn,
              JSON.stringify(event),
              deadLetterMessageAttributes({
                ...failure,
                ruleArn: rule.arn,
                targetArn: target.Arn,
                errorCode: errorCode(err),
                errorMessage: err instanceof Error ? err.message : String(err),
              }),
            )
        : undefined,
    });
    const eventId = (event as { id?: unknown } | null)?.id;
    const report = { ...(typeof eventId === 'string' && { eventId }), rule: rule.name, targetId: target.Id, targetArn: target.Arn, result };
    props.onDelivery?.(report);
    return report;
  }
}
