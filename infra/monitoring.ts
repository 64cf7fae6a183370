/**
 * Alarms and the dashboard of the stack.
 *
 * Built with cdk-monitoring-constructs (cdklabs) rather than plain aws-cloudwatch constructs: it is the maintained
 * library for exactly this (alarm naming, descriptions, SNS actions, a dashboard laid out per resource), its 10.2.0
 * declares peers aws-cdk-lib ^2.160.0 and constructs ^10.0.5 (we run 2.276.0 and 10.8.1), no engines field and
 * no dependencies of its own (checked with `npm view cdk-monitoring-constructs@10.2.0`), and it runs on Node 20.
 * It has ready monitors for the Lambda function and the dead-letter queue; the ALB (its ALB monitors need an ECS
 * service), the EventBridge rule and the Spot Fleet have none, so those go through its `monitorCustom`, which
 * still gives them the same alarm factory, actions and dashboard. Plain constructs would have meant writing the
 * dashboard layout and the alarm naming ourselves.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  type AlarmWithAnnotation,
  DefaultDashboardFactory,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';

/** The alarms' thresholds (infra/config.ts holds their defaults and validation). */
export interface AlarmThresholds {
  /** ALB-generated 5xx in one minute above which the 5xx alarm fires. */
  readonly elb5xxPerMinute: number;
  /** Consecutive minutes with HealthyHostCount below 1. */
  readonly noHealthyTargetMinutes: number;
  /** Consecutive minutes with UnHealthyHostCount above 0. */
  readonly unhealthyTargetMinutes: number;
  /** Minutes (a multiple of 5) with FulfilledCapacity below TargetCapacity. */
  readonly capacityShortfallMinutes: number;
  /** Handler errors in five minutes above which the handler alarm fires. */
  readonly handlerErrors: number;
}

export interface SpotWebMonitoringProps {
  /** Alarm and OK notifications go here (the interruption topic a person subscribes to). */
  readonly topic: sns.ITopic;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /** The Spot Fleet request id (the `FleetRequestId` dimension of AWS/EC2Spot). */
  readonly fleetRequestId: string;
  readonly handler: lambda.IFunction;
  /** The drain confirmation function (the handler's on-success destination). */
  readonly confirmation: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  /** Rules whose FailedInvocations are alarmed on. */
  readonly rules: readonly events.IRule[];
  /** CloudWatch namespace and `service` dimension of the handler's own metrics (Powertools EMF). */
  readonly handlerMetrics: { readonly namespace: string; readonly service: string };
  /** The same for the drain confirmation function. */
  readonly confirmationMetrics: { readonly namespace: string; readonly service: string };
  readonly thresholds: AlarmThresholds;
  /** Prefix of every alarm name and the dashboard's name. @default the stack name */
  readonly namePrefix?: string;
}

/** Outcome metrics the handler publishes (handlers/interruption/handler.ts METRIC_NAMES). */
export const HANDLER_OUTCOME_METRICS = ['Deregistered', 'NotRegistered', 'Ignored', 'Rejected', 'Failed'] as const;
/** Outcome metrics the drain confirmation function publishes (handlers/interruption/confirmation-handler.ts METRIC_NAMES). */
export const CONFIRMATION_OUTCOME_METRICS = [
  'ConfirmationPublished',
  'ConfirmationSentEarlier',
  'ConfirmationSendingElsewhere',
  'ConfirmationNotOurs',
  'ConfirmationIgnored',
  'ConfirmationRejected',
  'ConfirmationFailed',
] as const;

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

/**
 * One CloudWatch alarm per way this stack can fail a person silently, each notifying the topic on ALARM and on
 * OK, and one dashboard. Metrics per source:
 * - AWS/SQS ApproximateNumberOfMessagesVisible of the dead-letter queue (Maximum > 0);
 * - AWS/Lambda Errors of the handler and of the drain confirmation function (Sum > threshold in 5 min), and the
 *   handler's DestinationDeliveryFailures (Sum > 0 in 5 min): its record never reached the confirmation; and
 *   DeadLetterErrors of both (Sum > 0 in 5 min): a failed event could not even be dead-lettered;
 * - AWS/Events FailedInvocations per rule (Sum > 0): EventBridge could not invoke a target at all;
 * - AWS/ApplicationELB HealthyHostCount (Minimum < 1), UnHealthyHostCount (Maximum > 0) per target group,
 *   HTTPCode_ELB_5XX_Count (Sum > threshold per minute) per load balancer;
 * - AWS/EC2Spot TargetCapacity − FulfilledCapacity per FleetRequestId (> 0), 5-minute periods.
 * Missing data counts as not breaching for the counts that AWS publishes only when there is something to count
 * (5xx, failed invocations, errors); the gauges ELB and SQS publish every minute (host counts, queue depth) leave
 * a gap as missing, so a stack that has just been deployed waits in INSUFFICIENT_DATA instead of alarming.
 */
export class SpotWebMonitoring extends Construct {
  readonly facade: MonitoringFacade;
  readonly dashboard?: cloudwatch.Dashboard;
  readonly alarms: readonly AlarmWithAnnotation[];

  constructor(scope: Construct, id: string, props: SpotWebMonitoringProps) {
    super(scope, id);
    const prefix = props.namePrefix ?? Stack.of(this).stackName;
    const t = props.thresholds;
    const notBreaching = cloudwatch.TreatMissingData.NOT_BREACHING;

    this.facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: prefix,
        actionsEnabled: true,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: props.topic, onOkTopic: props.topic }),
        datapointsToAlarm: 1,
        evaluationPeriods: 1,
      },
      metricFactoryDefaults: { period: ONE_MINUTE },
      dashboardFactory: new DefaultDashboardFactory(this, 'Dashboards', {
        dashboardNamePrefix: prefix,
        createDashboard: true,
        createSummaryDashboard: false,
        createAlarmDashboard: false,
      }),
    });

    this.facade
      .addLargeHeader(`${prefix}: Spot web fleet`)
      .monitorCustom({
        alarmFriendlyName: 'LoadBalancer',
        humanReadableName: 'Load balancer and targets',
        metricGroups: [
          {
            title: 'Requests and load-balancer 5xx',
            metrics: [
              props.loadBalancer.metrics.requestCount({ label: 'Requests', statistic: 'Sum', period: ONE_MINUTE }),
              {
                metric: props.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, {
                  label: 'ELB 5xx',
                  statistic: 'Sum',
                  period: ONE_MINUTE,
                }),
                alarmFriendlyName: 'Elb5xx',
                addAlarm: {
                  Critical: {
                    threshold: t.elb5xxPerMinute,
                    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    treatMissingDataOverride: notBreaching,
                    alarmDescriptionOverride:
                      `The load balancer itself answered more than ${t.elb5xxPerMinute} requests in a minute with 5xx ` +
                      '(502 a target failed, 503 nothing to route to, 504 a target went silent): users see errors.',
                  },
                },
              },
            ],
          },
          {
            title: 'Targets',
            metrics: [
              {
                metric: props.targetGroup.metrics.healthyHostCount({ label: 'Healthy', statistic: 'Minimum', period: ONE_MINUTE }),
                alarmFriendlyName: 'NoHealthyTarget',
                addAlarm: {
                  Critical: {
                    threshold: 1,
                    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                    evaluationPeriods: t.noHealthyTargetMinutes,
                    datapointsToAlarm: t.noHealthyTargetMinutes,
                    treatMissingDataOverride: cloudwatch.TreatMissingData.MISSING,
                    alarmDescriptionOverride:
                      `No healthy target for ${t.noHealthyTargetMinutes} minute(s): the load balancer fails open or answers 503.`,
                  },
                },
              },
              {
                metric: props.targetGroup.metrics.unhealthyHostCount({ label: 'Unhealthy', statistic: 'Maximum', period: ONE_MINUTE }),
                alarmFriendlyName: 'UnhealthyTargets',
                addAlarm: {
                  Warning: {
                    threshold: 0,
                    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    evaluationPeriods: t.unhealthyTargetMinutes,
                    datapointsToAlarm: t.unhealthyTargetMinutes,
                    treatMissingDataOverride: notBreaching,
                    alarmDescriptionOverride:
                      `At least one target failed its health checks for ${t.unhealthyTargetMinutes} minute(s) in a row.`,
                  },
                },
              },
            ],
          },
        ],
      })
      .monitorCustom({
        alarmFriendlyName: 'SpotFleet',
        humanReadableName: 'Spot Fleet capacity',
        metricGroups: [
          {
            title: 'Target and fulfilled capacity',
            metrics: [
              spotMetric(props.fleetRequestId, 'TargetCapacity', 'Target'),
              spotMetric(props.fleetRequestId, 'FulfilledCapacity', 'Fulfilled'),
              {
                metric: new cloudwatch.MathExpression({
                  expression: 'target - fulfilled',
                  label: 'Shortfall',
                  period: FIVE_MINUTES,
                  usingMetrics: {
                    target: spotMetric(props.fleetRequestId, 'TargetCapacity', 'Target'),
                    fulfilled: spotMetric(props.fleetRequestId, 'FulfilledCapacity', 'Fulfilled'),
                  },
                }),
                alarmFriendlyName: 'CapacityShortfall',
                addAlarm: {
                  Warning: {
                    threshold: 0,
                    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    evaluationPeriods: t.capacityShortfallMinutes / 5,
                    datapointsToAlarm: t.capacityShortfallMinutes / 5,
                    treatMissingDataOverride: notBreaching,
                    alarmDescriptionOverride:
                      `The Spot Fleet held less than its target capacity for ${t.capacityShortfallMinutes} minutes: ` +
                      'Spot capacity is short in its pools, or instances fail to launch.',
                  },
                },
              },
            ],
          },
        ],
      })
      .monitorCustom({
        alarmFriendlyName: 'Interruptions',
        humanReadableName: 'Interruption routing',
        metricGroups: [
          {
            title: 'Rule deliveries',
            metrics: props.rules.flatMap((rule) => [
              ruleMetric(rule, 'Invocations'),
              {
                metric: ruleMetric(rule, 'FailedInvocations'),
                alarmFriendlyName: `FailedInvocations-${rule.node.id}`,
                addAlarm: anyCountAlarm(
                  `EventBridge could not deliver a ${rule.node.id} event to a target (permissions, throttling or a ` +
                    'missing target); after its retries the event is in the dead-letter queue.',
                ),
              },
            ]),
          },
          { title: 'Handler outcomes', metrics: HANDLER_OUTCOME_METRICS.map((name) => outcomeMetric(props.handlerMetrics, name)) },
          {
            title: 'Records Lambda could not hand on',
            metrics: [
              {
                // Lambda publishes it for the source function when it cannot hand the on-success record to the
                // destination (Lambda developer guide, "Capturing records of Lambda asynchronous invocations"):
                // the drain happened, its confirmation never started, and no Errors metric says so.
                metric: lambdaCount(props.handler, 'DestinationDeliveryFailures', 'Handler'),
                alarmFriendlyName: 'DestinationDeliveryFailures',
                addAlarm: anyCountAlarm(
                  'Lambda could not hand a handler result to the drain confirmation function (its permission, the ' +
                    'function gone, a limit): an instance was drained and nobody was told.',
                ),
              },
              // Lambda publishes DeadLetterErrors when it cannot send a failed event to the function's dead-letter
              // queue (Lambda developer guide, "Types of metrics for Lambda functions"): the event is then lost, and
              // the DLQ alarm, which watches the queue, never sees it.
              ...deadLetterSources(props).map(({ fn, name, what }) => ({
                metric: lambdaCount(fn, 'DeadLetterErrors', name),
                alarmFriendlyName: `DeadLetterErrors-${name}`,
                addAlarm: anyCountAlarm(
                  `${what} failed every attempt and Lambda could not put it in the dead-letter queue (its permission, ` +
                    'the queue gone, its key): it is lost.',
                ),
              })),
            ],
          },
          { title: 'Drain confirmations', metrics: CONFIRMATION_OUTCOME_METRICS.map((name) => outcomeMetric(props.confirmationMetrics, name)) },
        ],
      })
      .monitorLambdaFunction({
        lambdaFunction: props.handler,
        alarmFriendlyName: 'Handler',
        humanReadableName: 'Interruption handler',
        addFaultCountAlarm: {
          Critical: {
            maxErrorCount: t.handlerErrors,
            period: FIVE_MINUTES,
            alarmDescriptionOverride:
              'The interruption handler failed (Errors): an instance may keep receiving requests until it is reclaimed. ' +
              'Lambda retries the event twice, then parks it in the dead-letter queue.',
          },
        },
      })
      .monitorLambdaFunction({
        lambdaFunction: props.confirmation,
        alarmFriendlyName: 'Confirmation',
        humanReadableName: 'Drain confirmation',
        addFaultCountAlarm: {
          Critical: {
            maxErrorCount: t.handlerErrors,
            period: FIVE_MINUTES,
            alarmDescriptionOverride:
              'The drain confirmation function failed (Errors): a person may not hear that an instance was drained. ' +
              'Lambda retries the record twice, then parks it in the dead-letter queue.',
          },
        },
      })
      .monitorSqsQueue({
        queue: props.deadLetterQueue,
        alarmFriendlyName: 'DeadLetterQueue',
        humanReadableName: 'Dead-letter queue',
        addQueueMaxSizeAlarm: {
          Critical: {
            maxMessageCount: 0,
            alarmDescriptionOverride:
              'An interruption event (or a drain confirmation record) could not be handled and was parked in the ' +
              'dead-letter queue (kept 14 days). ' +
              'Read it, fix the cause, then delete or redrive it.',
          },
        },
      });

    this.dashboard = this.facade.createdDashboard();
    this.alarms = this.facade.createdAlarms();
  }
}

/**
 * A Critical alarm on a count that AWS publishes only when there is something to count (failed invocations,
 * delivery failures): any at all alarms, and a period with none is missing data, treated as not breaching.
 */
function anyCountAlarm(description: string) {
  return {
    Critical: {
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescriptionOverride: description,
    },
  };
}

/** One of AWS/Lambda's counts for `fn` (labelled `<name> <metric>`), summed over five minutes. */
function lambdaCount(fn: lambda.IFunction, metricName: string, name: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Lambda',
    metricName,
    dimensionsMap: { FunctionName: fn.functionName },
    statistic: 'Sum',
    period: FIVE_MINUTES,
    label: `${name} ${metricName}`,
  });
}

/** The functions whose failed events go to the dead-letter queue, and what such an event is. */
function deadLetterSources(props: SpotWebMonitoringProps): Array<{ readonly fn: lambda.IFunction; readonly name: string; readonly what: string }> {
  return [
    { fn: props.handler, name: 'Handler', what: 'An interruption event' },
    { fn: props.confirmation, name: 'Confirmation', what: 'A drain confirmation record' },
  ];
}

/** One of a function's own outcome counts (Powertools EMF), per minute. */
function outcomeMetric(source: { readonly namespace: string; readonly service: string }, name: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: source.namespace,
    metricName: name,
    dimensionsMap: { service: source.service },
    statistic: 'Sum',
    period: ONE_MINUTE,
    label: name,
  });
}

function spotMetric(fleetRequestId: string, metricName: string, label: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/EC2Spot',
    metricName,
    dimensionsMap: { FleetRequestId: fleetRequestId },
    statistic: 'Average',
    period: FIVE_MINUTES,
    label,
  });
}

function ruleMetric(rule: events.IRule, metricName: 'Invocations' | 'FailedInvocations'): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Events',
    metricName,
    dimensionsMap: { RuleName: rule.ruleName },
    statistic: 'Sum',
    period: ONE_MINUTE,
    label: `${rule.node.id} ${metricName}`,
  });
}
