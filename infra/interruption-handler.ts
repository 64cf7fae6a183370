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
import { aliasArgs, FUNCTION_ENTRIES, HANDLER_BUNDLING } from './handler-bundling.js';

const entryPath = (entry: keyof typeof FUNCTION_ENTRIES) => fileURLToPath(new URL(`../handlers/interruption/${FUNCTION_ENTRIES[entry]}`, import.meta.url));
const HANDLER_ENTRY = entryPath('handler');
const CONFIRMATION_ENTRY = entryPath('confirmation');
const LOCK_FILE = fileURLToPath(new URL('../package-lock.json', import.meta.url));

export interface InterruptionHandlerProps {
  /** Target group(s) the handler deregisters interrupted instances from. */
  readonly targetGroups: readonly elbv2.ITargetGroup[];
  /** Where the drain confirmation tells a human what the handler did; its function gets Publish on the topic and the two KMS actions on its key, nothing more. */
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
 * Lambda's retries of a failed confirmation (a Publish or claim refused past its own retries, a rejected record):
 * the most Lambda allows, a minute and then two minutes after the failure, before the dead-letter queue.
 */
const CONFIRMATION_RETRY_ATTEMPTS = 2;
/**
 * The confirmation is not bound to the warning: a message a few minutes late still tells a person what happened.
 * Its retries (a minute, then two) all fit; a record that outlives this goes to the dead-letter queue.
 */
const CONFIRMATION_MAX_EVENT_AGE = Duration.hours(1);
/**
 * Room for the handler's own bounded retries (handlers/interruption/retry-budget.ts): it stops retrying about 5 s
 * before this, so an ELB API that throttles or fails for up to ~50 s still ends in a deregistration within the
 * first invocation.
 */
const HANDLER_TIMEOUT = Duration.seconds(FUNCTION_TIMEOUT_SECONDS);

/** The handler's own outcome metrics (Powertools EMF): CloudWatch namespace and `service` dimension. */
export const HANDLER_METRICS = { namespace: 'spotweb', service: 'spotweb-interruption-handler' } as const;
/** The drain confirmation function's outcome metrics: same namespace, its own `service` dimension. */
export const CONFIRMATION_METRICS = { namespace: HANDLER_METRICS.namespace, service: 'spotweb-drain-confirmation' } as const;

/**
 * Lambda's on-success destination for a function, granted exactly: `lambda:InvokeFunction` on the function's own
 * ARN for the source function's role, which Lambda uses to deliver the record (Lambda developer guide, "Capturing
 * records of Lambda asynchronous invocations"). CDK's LambdaDestination grants it on `<arn>:*` too (every version
 * and alias), which a destination naming the unqualified function never needs.
 */
class FunctionDestination implements lambda.IDestination {
  constructor(private readonly target: lambda.IFunction) {}

  bind(_scope: Construct, fn: lambda.IFunction): lambda.DestinationConfig {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.target.functionArn] }));
    return { destination: this.target.functionArn };
  }
}

/**
 * The interruption path's two Lambda functions, each with its least-privilege role and its own log group:
 * - the handler (EventBridge → here) takes the instance out of service: DescribeTargetHealth, and DeregisterTargets
 *   on these target groups only; it returns once that is done;
 * - the drain confirmation function, the handler's on-success destination, tells a person once per instance: Publish
 *   on the topic, UpdateItem on its confirmation table.
 * Split so the handler's execution environment is free for the next warning as soon as its instance is out of
 * service (three more calls held it before). What invokes the handler is InterruptionRouting's job.
 */

export class InterruptionHandler extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The drain confirmation function (the handler's on-success destination). */
  readonly confirmation: nodejs.NodejsFunction;
  /** Which delivery of an event sends an instance's drain confirmation (once per instance). */
  readonly confirmations: DrainConfirmations;

  constructor(scope: Construct, id: string, props: InterruptionHandlerProps) {
    super(scope, id);
    const confirmations = new DrainConfirmations(this, 'Confirmations');
    const targetGroupArns = props.targetGroups.map((tg) => tg.targetGroupArn).join(',');
    const confirmation = bundledFunction(this, 'Confirmation', {
      entry: CONFIRMATION_ENTRY,
      name: 'drain confirmation',
      description: 'Tells a person once per instance that the interruption handler drained it (its on-success destination)',
      logRetention: props.logRetention,
      retryAttempts: CONFIRMATION_RETRY_ATTEMPTS,
      maxEventAge: CONFIRMATION_MAX_EVENT_AGE,
      deadLetterQueue: props.deadLetterQueue,
      environment: {
        // The handler's target groups: a record naming another is not the handler's (confirmation-record.ts).
        TARGET_GROUP_ARNS: targetGroupArns,
        TOPIC_ARN: props.topic.topic.topicArn,
        CONFIRMATION_TABLE_NAME: confirmations.table.tableName,
        DEREGISTRATION_DELAY_SECONDS: String(props.deregistrationDelay.toSeconds()),
        POWERTOOLS_SERVICE_NAME: CONFIRMATION_METRICS.service,
        POWERTOOLS_METRICS_NAMESPACE: CONFIRMATION_METRICS.namespace,
      },
    });
    props.topic.grantPublish(confirmation.role);
    confirmations.grantClaims(confirmation.role);

    // 'Default' is left out of logical ids: the function keeps the one it had as Interruptions/Handler.
    const { fn, role, logGroup } = bundledFunction(this, 'Default', {
      entry: HANDLER_ENTRY,
      name: 'interruption handler',
      description: 'Deregisters Spot instances that received an interruption warning from the target group',
      logRetention: props.logRetention,
      retryAttempts: HANDLER_RETRY_ATTEMPTS,
      maxEventAge: HANDLER_MAX_EVENT_AGE,
      deadLetterQueue: props.deadLetterQueue,
      onSuccess: new FunctionDestination(confirmation.fn),
      environment: {
        TARGET_GROUP_ARNS: targetGroupArns,
        DRAIN_ON_REBALANCE: String(props.drainOnRebalance),
        POWERTOOLS_SERVICE_NAME: HANDLER_METRICS.service,
        POWERTOOLS_METRICS_NAMESPACE: HANDLER_METRICS.namespace,
      },
    });
    this.function = fn;

    // DeregisterTargets is scoped to this stack's target groups. DescribeTargetHealth has no
    // resource-level permissions in IAM, so it needs "*" (read-only).
    // Locally (moto enforcing IAM, local/iam/) the handler runs with this role's session: a missing action fails
    // with AccessDenied, but the target group scope is not checked (moto matches every ELB call against "*", so the
    // local cloud widens the scope; a grant on another target group would pass locally).
    // Nor is any scope or condition of the other grants (the confirmation's topic, key and table, the log groups).
    // The on-success destination's lambda:InvokeFunction is checked when the local cloud deploys the
    // EventInvokeConfig, as Lambda checks it then (local/deploy/provisioners/lambda.ts), not at each delivery.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:DeregisterTargets'],
        resources: props.targetGroups.map((tg) => tg.targetGroupArn),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['elasticloadbalancing:DescribeTargetHealth'], resources: ['*'] }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only elasticloadbalancing:DescribeTargetHealth (read-only) is granted on "*": IAM supports no resource-level ' +
        'permissions for it. The mutating DeregisterTargets is scoped to this stack\'s target group ARNs.',
    });

    this.role = role;
    this.logGroup = logGroup;
    this.confirmations = confirmations;
    this.confirmation = confirmation.fn;
  }
}

interface BundledFunctionProps {
  readonly entry: string;
  /** What the role's description calls the function. */
  readonly name: string;
  readonly description: string;
  readonly logRetention: logs.RetentionDays;
  readonly environment: Record<string, string>;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
  readonly deadLetterQueue: sqs.IQueue;
  /** @default none */
  readonly onSuccess?: lambda.IDestination;
}

/**
 * One of the interruption path's functions: bundled with the local esbuild as the handler is (handler-bundling.ts),
 * with a role of its own that writes to its own log group only (the default role's AWSLambdaBasicExecutionRole may
 * write to any log group). EventBridge and Lambda destinations invoke asynchronously: a failed invocation is retried
 * by Lambda under `retryAttempts`/`maxEventAge` (an AWS::Lambda::EventInvokeConfig), then sent to the dead-letter
 * queue in Lambda's format.
 */
function bundledFunction(scope: Construct, id: string, props: BundledFunctionProps) {
  // Construct ids stay as they were for the handler ('Logs', 'Role'): its log group and role keep their logical ids.
  const prefix = id === 'Default' ? '' : id;
  const logGroup = new logs.LogGroup(scope, `${prefix}Logs`, { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
  const role = new iam.Role(scope, `${prefix}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `spotweb ${props.name}` });
  logGroup.grantWrite(role);
  const fn = new nodejs.NodejsFunction(scope, id, {
    entry: props.entry,
    handler: 'handler',
    depsLockFilePath: LOCK_FILE,
    runtime: lambda.Runtime.NODEJS_LATEST,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    timeout: HANDLER_TIMEOUT,
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    description: props.description,
    retryAttempts: props.retryAttempts,
    maxEventAge: props.maxEventAge,
    deadLetterQueue: props.deadLetterQueue,
    ...(props.onSuccess && { onSuccess: props.onSuccess }),
    environment: props.environment,
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
  return { fn, role, logGroup };
}
