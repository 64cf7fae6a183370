/**
 * The metrics AWS services would publish about this stack, produced from the local cloud's own parts, under
 * AWS's namespaces, names and dimensions, so the template's alarms find them unchanged:
 * - AWS/ApplicationELB (ELB user guide, "CloudWatch metrics for your Application Load Balancer"): RequestCount and
 *   HTTPCode_ELB_5XX_Count per LoadBalancer, published only for minutes that have some (sampled deltas of the local
 *   ALB's counters); HealthyHostCount and UnHealthyHostCount per TargetGroup and LoadBalancer (sampled gauges);
 * - AWS/EC2Spot TargetCapacity and FulfilledCapacity per FleetRequestId (sampled gauges);
 * - AWS/SQS ApproximateNumberOfMessagesVisible per QueueName (sampled through GetQueueAttributes, as SQS reports
 *   the queue's own count);
 * - AWS/Lambda Invocations and Errors per FunctionName, one datapoint per invocation attempt; DestinationDeliveryFailures
 *   and DeadLetterErrors per FunctionName, one datapoint per record Lambda could not deliver to the function's
 *   destination or event it could not put in its dead-letter queue (Lambda developer guide, "Capturing records of
 *   Lambda asynchronous invocations", "Types of metrics for Lambda functions"), only when there is one;
 * - AWS/Events Invocations and FailedInvocations per RuleName, one datapoint per delivery outcome (FailedInvocations
 *   = the delivery failed for good: dead-lettered or dropped).
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryReport } from '../events/bus.js';
import type { DeliveryFailure, InvocationAttempt } from '../events/stack-targets.js';
import type { MetricStore } from './metric-store.js';

export interface LoadBalancerSource {
  counters(): { readonly received: number; readonly elb502: number; readonly elb503: number; readonly elb504: number };
  targets(): ReadonlyArray<{ readonly state: string }>;
}

export interface LocalMetricSources {
  readonly loadBalancer: LoadBalancerSource;
  /** `app/<name>/<id>` (LoadBalancerFullName). */
  readonly loadBalancerFullName: string;
  /** `targetgroup/<name>/<id>` (TargetGroupFullName). */
  readonly targetGroupFullName: string;
  readonly fleet: { readonly capacity: number; instances(): readonly unknown[] };
  readonly fleetRequestId: string;
  readonly sqs: SQSClient;
  readonly queues: ReadonlyArray<{ readonly name: string; readonly url: string }>;
  /** The event bus's delivery log, oldest first (read incrementally). */
  readonly deliveries: readonly DeliveryReport[];
  /** The Lambda runtime's invocation attempts, oldest first (read incrementally). */
  readonly invocationAttempts: readonly InvocationAttempt[];
  /** Events and records the Lambda runtime could not send on, oldest first (read incrementally). */
  readonly deliveryFailures: readonly DeliveryFailure[];
}

export class LocalMetrics {
  private lastCounters?: ReturnType<LoadBalancerSource['counters']>;
  private deliveriesSeen = 0;
  private attemptsSeen = 0;
  private deliveryFailuresSeen = 0;

  constructor(
    private readonly sources: LocalMetricSources,
    private readonly store: MetricStore,
    /** Simulated epoch ms. */
    private readonly now: () => number,
  ) {}

  /** Samples the gauges and turns counters, new deliveries and new invocation attempts into datapoints. */
  async sample(): Promise<void> {
    const at = this.now();
    const s = this.sources;
    const lb = { LoadBalancer: s.loadBalancerFullName };
    const tg = { TargetGroup: s.targetGroupFullName, LoadBalancer: s.loadBalancerFullName };

    const counters = s.loadBalancer.counters();
    const last = this.lastCounters ?? counters;
    this.lastCounters = counters;
    const requests = counters.received - last.received;
    const elb5xx = counters.elb502 + counters.elb503 + counters.elb504 - (last.elb502 + last.elb503 + last.elb504);
    if (requests > 0) this.store.put({ namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', dimensions: lb }, requests, at);
    if (elb5xx > 0) this.store.put({ namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_ELB_5XX_Count', dimensions: lb }, elb5xx, at);

    const states = s.loadBalancer.targets().map((t) => t.state);
    this.store.put({ namespace: 'AWS/ApplicationELB', metricName: 'HealthyHostCount', dimensions: tg }, states.filter((x) => x === 'healthy').length, at);
    this.store.put({ namespace: 'AWS/ApplicationELB', metricName: 'UnHealthyHostCount', dimensions: tg }, states.filter((x) => x === 'unhealthy').length, at);

    const fleet = { FleetRequestId: s.fleetRequestId };
    this.store.put({ namespace: 'AWS/EC2Spot', metricName: 'TargetCapacity', dimensions: fleet }, s.fleet.capacity, at);
    this.store.put({ namespace: 'AWS/EC2Spot', metricName: 'FulfilledCapacity', dimensions: fleet }, s.fleet.instances().length, at);

    for (const report of s.deliveries.slice(this.deliveriesSeen)) {
      const dimensions = { RuleName: report.rule };
      this.store.put({ namespace: 'AWS/Events', metricName: 'Invocations', dimensions }, 1, at);
      if (report.result.status !== 'delivered') this.store.put({ namespace: 'AWS/Events', metricName: 'FailedInvocations', dimensions }, 1, at);
    }
    this.deliveriesSeen = s.deliveries.length;

    for (const attempt of s.invocationAttempts.slice(this.attemptsSeen)) {
      const dimensions = { FunctionName: attempt.functionName };
      this.store.put({ namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions }, 1, at);
      this.store.put({ namespace: 'AWS/Lambda', metricName: 'Errors', dimensions }, attempt.failed ? 1 : 0, at);
    }
    this.attemptsSeen = s.invocationAttempts.length;

    for (const failure of s.deliveryFailures.slice(this.deliveryFailuresSeen)) {
      this.store.put({ namespace: 'AWS/Lambda', metricName: failure.metric, dimensions: { FunctionName: failure.functionName } }, 1, at);
    }
    this.deliveryFailuresSeen = s.deliveryFailures.length;

    await Promise.all(
      s.queues.map(async (q) => {
        const out = await s.sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['ApproximateNumberOfMessages'] }));
        const visible = Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
        this.store.put({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: q.name } }, visible, at);
      }),
    );
  }
}
