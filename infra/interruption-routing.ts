import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { EC2_SOURCE, INTERRUPTION_WARNING, REBALANCE_RECOMMENDATION } from '../common/ec2-events.js';
import { aliasArgs, HANDLER_BUNDLING } from './handler-bundling.js';


const HANDLER_ENTRY = fileURLToPath(new URL('../handlers/interruption/index.ts', import.meta.url));
const LOCK_FILE = fileURLToPath(new URL('../package-lock.json', import.meta.url));

export interface InterruptionRoutingProps {
  /** Target group(s) the handler deregisters interrupted instances from. */
  readonly targetGroups: readonly elbv2.ITargetGroup[];
  /** Told to the handler so its notification can say how long the drain lasts. */
  readonly deregistrationDelay: Duration;
  /** Also route rebalance recommendations to the handler (not to the topic). */
  readonly drainOnRebalance: boolean;
  /** Subscribed to the topic when set. */
  readonly notificationEmail?: string;
  readonly logRetention: logs.RetentionDays;
  /**
   * Attempts EventBridge makes to deliver one event to a target. The warning is only useful for two
   * minutes, so retries stay inside that window and what still fails is parked in the dead-letter queue.
   * @default 8 attempts within 2 minutes
   */
  readonly retryAttempts?: number;
  readonly maxEventAge?: Duration;
}

/**
 * Routes the Spot interruption warning to the handler Lambda (which takes the instance out of the target
 * group) and to an SNS topic that tells a human. Failed deliveries and failed invocations land in one
 * dead-letter queue.
 */
export class InterruptionRouting extends Construct {
  readonly handler: nodejs.NodejsFunction;
  readonly topic: sns.Topic;
  readonly deadLetterQueue: sqs.Queue;
  readonly warningRule: events.Rule;
  readonly rebalanceRule?: events.Rule;

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
      reason: 'This queue is itself the dead-letter queue of the interruption rule targets and the handler.',
    });

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'spotweb Spot interruptions',
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'EventBridge cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer-managed key ' +
        'costs more than this demo stack; messages carry only instance ids, actions and times. TLS is enforced.',
    });
    if (props.notificationEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.notificationEmail));
    }

    const logGroup = new logs.LogGroup(this, 'HandlerLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Our own role instead of the default one: the default attaches AWSLambdaBasicExecutionRole, which may
    // write to any log group; this one writes to the handler's group only.
    const role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'spotweb interruption handler',
    });
    logGroup.grantWrite(role);

    this.handler = new nodejs.NodejsFunction(this, 'Handler', {
      entry: HANDLER_ENTRY,
      handler: 'handler',
      depsLockFilePath: LOCK_FILE,
      runtime: lambda.Runtime.NODEJS_LATEST,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      description: 'Deregisters Spot instances that received an interruption warning from the target group',
      // Async invocations (EventBridge) that still fail after Lambda's own retries land in the DLQ.
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      deadLetterQueue: this.deadLetterQueue,
      environment: {
        TARGET_GROUP_ARNS: props.targetGroups.map((tg) => tg.targetGroupArn).join(','),
        TOPIC_ARN: this.topic.topicArn,
        DRAIN_ON_REBALANCE: String(props.drainOnRebalance),
        DEREGISTRATION_DELAY_SECONDS: String(props.deregistrationDelay.toSeconds()),
        POWERTOOLS_SERVICE_NAME: 'spotweb-interruption-handler',
        POWERTOOLS_METRICS_NAMESPACE: 'spotweb',
      },
      bundling: {
        minify: HANDLER_BUNDLING.minify,
        mainFields: HANDLER_BUNDLING.mainFields,
        target: HANDLER_BUNDLING.target,
        esbuildArgs: aliasArgs(HANDLER_BUNDLING.alias),
        // No source map: shipped unused it was four fifths of the package, and read with --enable-source-maps
        // it added 10-15 ms to every cold start here (parsing a 1.7 MB map).
        sourceMap: false,
        // The SDK is bundled so cold start does not pay for resolving node_modules at run time.
        externalModules: [],
        forceDockerBundling: false,
      },
    });

    // DeregisterTargets is scoped to this stack's target groups. DescribeTargetHealth has no
    // resource-level permissions in IAM, so it needs "*" (read-only).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:DeregisterTargets'],
        resources: props.targetGroups.map((tg) => tg.targetGroupArn),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['elasticloadbalancing:DescribeTargetHealth'], resources: ['*'] }),
    );
    this.topic.grantPublish(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only elasticloadbalancing:DescribeTargetHealth (read-only) is granted on "*": IAM supports no resource-level ' +
        'permissions for it. The mutating DeregisterTargets is scoped to this stack\'s target group ARNs.',
    });

    const delivery = { deadLetterQueue: this.deadLetterQueue, retryAttempts, maxEventAge };
    this.warningRule = new events.Rule(this, 'WarningRule', {
      description: 'Spot interruption warnings: drain the instance and tell a human',
      eventPattern: { source: [EC2_SOURCE], detailType: [INTERRUPTION_WARNING] },
    });
    this.warningRule.addTarget(new targets.LambdaFunction(this.handler, delivery));
    this.warningRule.addTarget(
      new targets.SnsTopic(this.topic, {
        ...delivery,
        message: events.RuleTargetInput.fromText(
          `Spot interruption warning: instance ${events.EventField.fromPath('$.detail.instance-id')} ` +
            `will ${events.EventField.fromPath('$.detail.instance-action')} about two minutes after ` +
            `${events.EventField.time} (region ${events.EventField.region}). spotweb is draining it from the load balancer.`,
        ),
      }),
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
