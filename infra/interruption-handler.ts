import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { InterruptionTopic } from './interruption-topic.js';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { FUNCTION_TIMEOUT_SECONDS } from '../handlers/interruption/config.js';
import { DrainConfirmations } from './drain-confirmations.js';
import { aliasArgs, HANDLER_BUNDLING } from './handler-bundling.js';

const HANDLER_ENTRY = fileURLToPath(new URL('../handlers/interruption/index.ts', import.meta.url));
const LOCK_FILE = fileURLToPath(new URL('../package-lock.json', import.meta.url));

export interface InterruptionHandlerProps {
  /** Target group(s) the handler deregisters interrupted instances from. */
  readonly targetGroups: readonly elbv2.ITargetGroup[];
  /** Where the handler tells a human what it did; it gets Publish on the topic and the two KMS actions on its key, nothing more. */
  readonly topic: InterruptionTopic;
  /** Where asynchronous invocations that still fail after Lambda's own retries land. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The target groups' deregistration delay, told to the handler so its notification can say how long the drain lasts. */
  readonly deregistrationDelay: Duration;
  /** Drain on rebalance recommendations too (otherwise the handler ignores them). */
  readonly drainOnRebalance: boolean;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Lambda's asynchronous retries of a failed handler invocation (EventInvokeConfig): 2, the most Lambda allows. They
 * come about one minute and then two minutes after a failure (Lambda developer guide, "How Lambda handles errors and
 * retries with asynchronous invocation"), so the handler rides out transient failures itself first.
 */
const HANDLER_RETRY_ATTEMPTS = 2;
/**
 * An event older than the warning is of no use: the instance is gone. Lambda discards it then, to the dead-letter
 * queue, rather than retrying after the reclaim.
 */
const HANDLER_MAX_EVENT_AGE = Duration.minutes(2);
/**
 * Room for the handler's own bounded retries (handlers/interruption/retry-budget.ts): it stops retrying about 5 s
 * before this, so an ELB API that throttles or fails for up to ~50 s still ends in a deregistration within the
 * first invocation.
 */
const HANDLER_TIMEOUT = Duration.seconds(FUNCTION_TIMEOUT_SECONDS);

/**
 * The interruption handler Lambda: its least-privilege role, its log group, the bundled function and its grants
 * (DeregisterTargets on these target groups only, Publish on the topic, UpdateItem on its confirmation table). What
 * invokes it is InterruptionRouting's job.
 */
/** The handler's own outcome metrics (Powertools EMF): CloudWatch namespace and `service` dimension. */
export const HANDLER_METRICS = { namespace: 'spotweb', service: 'spotweb-interruption-handler' } as const;

export class InterruptionHandler extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** Which delivery of an event sends an instance's drain confirmation (once per instance). */
  readonly confirmations: DrainConfirmations;

  constructor(scope: Construct, id: string, props: InterruptionHandlerProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Our own role instead of the default one: the default attaches AWSLambdaBasicExecutionRole, which may
    // write to any log group; this one writes to the handler's group only.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'spotweb interruption handler',
    });
    logGroup.grantWrite(role);
    const confirmations = new DrainConfirmations(this, 'Confirmations');

    // 'Default' is left out of logical ids: the function keeps the one it had as Interruptions/Handler.
    this.function = new nodejs.NodejsFunction(this, 'Default', {
      entry: HANDLER_ENTRY,
      handler: 'handler',
      depsLockFilePath: LOCK_FILE,
      runtime: lambda.Runtime.NODEJS_LATEST,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: HANDLER_TIMEOUT,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      description: 'Deregisters Spot instances that received an interruption warning from the target group',
      // EventBridge invokes asynchronously: a failed invocation is retried by Lambda under these settings (an
      // AWS::Lambda::EventInvokeConfig), then sent to the function's dead-letter queue in Lambda's format.
      retryAttempts: HANDLER_RETRY_ATTEMPTS,
      maxEventAge: HANDLER_MAX_EVENT_AGE,
      deadLetterQueue: props.deadLetterQueue,
      environment: {
        TARGET_GROUP_ARNS: props.targetGroups.map((tg) => tg.targetGroupArn).join(','),
        TOPIC_ARN: props.topic.topic.topicArn,
        CONFIRMATION_TABLE_NAME: confirmations.table.tableName,
        DRAIN_ON_REBALANCE: String(props.drainOnRebalance),
        DEREGISTRATION_DELAY_SECONDS: String(props.deregistrationDelay.toSeconds()),
        POWERTOOLS_SERVICE_NAME: HANDLER_METRICS.service,
        POWERTOOLS_METRICS_NAMESPACE: HANDLER_METRICS.namespace,
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
    // Locally (moto enforcing IAM, local/iam/) the handler runs with this role's session: a missing action fails
    // with AccessDenied, but the target group scope is not checked (moto matches every ELB call against "*", so the
    // local cloud widens the scope; a grant on another target group would pass locally).
    // Nor is any scope or condition of the grants below (topic, key, log group).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:DeregisterTargets'],
        resources: props.targetGroups.map((tg) => tg.targetGroupArn),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['elasticloadbalancing:DescribeTargetHealth'], resources: ['*'] }),
    );
    props.topic.grantPublish(role);
    confirmations.grantClaims(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only elasticloadbalancing:DescribeTargetHealth (read-only) is granted on "*": IAM supports no resource-level ' +
        'permissions for it. The mutating DeregisterTargets is scoped to this stack\'s target group ARNs.',
    });

    this.role = role;
    this.logGroup = logGroup;
    this.confirmations = confirmations;
  }
}
