import { Duration, Validations } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EC2_SOURCE, INTERRUPTION_WARNING, REBALANCE_RECOMMENDATION } from '../common/ec2-events.js';
import { CONFIRMATION_METRICS, HANDLER_METRICS, InterruptionHandler } from './interruption-handler.js';
import { InterruptionTopic } from './interruption-topic.js';
import { PlainTextInput } from './plain-text-input.js';

/**
 * What a subscriber reads for each "EC2 Spot Instance Interruption Warning", e.g.
 * `AWS Spot interruption warning: instance i-0abc… in us-east-1 will be interrupted about two minutes after
 * 2026-11-30T02:00:00Z (instance-action: terminate). …`
 */
export const WARNING_MESSAGE = PlainTextInput.fromTemplate(
  'AWS Spot interruption warning: instance <instance> in <region> will be interrupted about two minutes after <time> ' +
    '(instance-action: <action>). This relays the warning AWS sends for any Spot instance in the account; ' +
    'spotweb sends a separate confirmation for each instance it takes out of its load balancer.',
  { instance: '$.detail.instance-id', action: '$.detail.instance-action', time: '$.time', region: '$.region' },
);

export interface InterruptionRoutingProps {
  /** Target group(s) the handler deregisters interrupted instances from. */
  readonly targetGroups: readonly elbv2.ITargetGroup[];
  /** Told to the handler so its notification can say how long the drain lasts. */
  readonly deregistrationDelay: Duration;
  /** Also route rebalance recommendations to the handler (not to the topic). */
  readonly drainOnRebalance: boolean;
  /** Subscribed to the topic when set. @default no subscription */
  readonly notificationEmail?: string;
  /** How long the handler's log group keeps its logs. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Retries EventBridge makes when it cannot hand an event to a target at all (the invoke or publish call is
   * throttled, the function or its permission is missing). They do not cover a function that runs and fails:
   * EventBridge invokes Lambda asynchronously, and function errors are Lambda's to retry (InterruptionHandler).
   * What still fails is parked in the dead-letter queue.
   * @default 8
   */
  readonly retryAttempts?: number;
  /** How long EventBridge keeps retrying one event. @default Duration.minutes(2), the length of the warning */
  readonly maxEventAge?: Duration;
}

/**
 * Routes the Spot interruption warning to the handler Lambda (InterruptionHandler: it takes the instance out of
 * the target group) and to an SNS topic that tells a human. Two layers of retries, as AWS runs them, end in one
 * dead-letter queue: EventBridge's RetryPolicy for events it could not hand over (its messages carry RULE_ARN,
 * TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS; EventBridge user guide, "Using
 * dead-letter queues to process undelivered events"), and the function's EventInvokeConfig for invocations that
 * failed (body = the event, attributes RequestID, ErrorCode, ErrorMessage; Lambda developer guide, "Dead-letter
 * queues"); see InterruptionHandler.
 */
export class InterruptionRouting extends Construct {
  readonly handler: nodejs.NodejsFunction;
  /** The drain confirmation function, the handler's on-success destination (InterruptionHandler). */
  readonly confirmation: nodejs.NodejsFunction;
  readonly topic: sns.Topic;
  readonly deadLetterQueue: sqs.Queue;
  readonly warningRule: events.Rule;
  readonly rebalanceRule?: events.Rule;
  /** Where the handler's own outcome metrics go (Powertools EMF: namespace, and the `service` dimension). */
  readonly handlerMetrics = HANDLER_METRICS;
  /** Where the drain confirmation function's outcome metrics go. */
  readonly confirmationMetrics = CONFIRMATION_METRICS;

  constructor(scope: Construct, id: string, props: InterruptionRoutingProps) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? 8;
    const maxEventAge = props.maxEventAge ?? Duration.minutes(2);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the interruption rule targets, the handler and the drain confirmation function.',
    });

    const topic = new InterruptionTopic(this, 'Topic', { notificationEmail: props.notificationEmail });
    this.topic = topic.topic;

    const functions = new InterruptionHandler(this, 'Handler', {
      targetGroups: props.targetGroups,
      topic,
      deadLetterQueue: this.deadLetterQueue,
      deregistrationDelay: props.deregistrationDelay,
      drainOnRebalance: props.drainOnRebalance,
      logRetention: props.logRetention,
    });
    this.handler = functions.function;
    this.confirmation = functions.confirmation;

    const delivery = { deadLetterQueue: this.deadLetterQueue, retryAttempts, maxEventAge };
    this.warningRule = new events.Rule(this, 'WarningRule', {
      description: 'Spot interruption warnings: drain the instance and tell a human',
      eventPattern: { source: [EC2_SOURCE], detailType: [INTERRUPTION_WARNING] },
    });
    this.warningRule.addTarget(new targets.LambdaFunction(this.handler, delivery));
    // The rule's message reaches a person for every Spot warning in the account and region, the fleet's or not,
    // and whether or not the handler runs: it relays AWS's warning and claims nothing. Each drain is confirmed by
    // the handler's on-success destination (handlers/interruption/confirmation-handler.ts). Plain text, not CDK's
    // quoted fromText (see PlainTextInput).
    this.warningRule.addTarget(
      topic.ruleTarget({ ...delivery, message: WARNING_MESSAGE }),
    );

    if (props.drainOnRebalance) {
      this.rebalanceRule = new events.Rule(this, 'RebalanceRule', {
        description: 'Rebalance recommendations: drain the instance early',
        eventPattern: { source: [EC2_SOURCE], detailType: [REBALANCE_RECOMMENDATION] },
      });
      this.rebalanceRule.addTarget(new targets.LambdaFunction(this.handler, delivery));
    }
  }
}
