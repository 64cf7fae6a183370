import { PublishCommand } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SendMessageCommand, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SimulatedClock } from '../clock.js';
import type { AwsClients } from '../deploy/clients.js';
import { LOCAL_ACCOUNT_ID, localAwsEnvironment } from '../contract.js';
import type { DeployedStack } from '../deploy/deploy.js';
import { AsyncInvoker, validateEventInvokeConfig, type AsyncInvocationReport, type EventInvokeConfig } from '../lambda/async-invocation.js';
import { InitSlots, LambdaPool } from '../lambda/pool.js';
import { runnerBundlePath } from '../lambda/runner-bundle.js';
import { roleNameOf, type RoleSessions } from '../iam/role-sessions.js';
import { accessDeniedMessage } from '../iam/role-policies.js';
import type { AwsCredentialIdentity } from '@smithy/types';
import { lambdaFunctions, rulesOf, type LambdaFunctionSpec } from '../stack-reader.js';
import { LocalEventBus, type DeliveryReport } from './bus.js';

export interface StackEventBusProps {
  readonly deployed: DeployedStack;
  /** The cloud assembly holding the Lambda assets. */
  readonly assemblyDir: string;
  readonly clients: AwsClients;
  /** The AWS endpoint the functions' SDK clients use. */
  readonly endpoint: string;
  readonly region: string;
  /**
   * Runs each function with its execution role's session, as Lambda does, so moto authorizes its calls against the
   * role's actions. @default none: the functions get the dummy LOCAL_CREDENTIALS (a moto that does not enforce IAM)
   */
  readonly roleSessions?: RoleSessions;
  readonly clock: SimulatedClock;
  /** Off: events for the stack's functions are dropped (shows what the handler prevents). */
  readonly invokeFunctions: boolean;
  /** Execution environments per function at most. @default 8 (DEFAULT_MAX_CONCURRENCY) */
  readonly lambdaConcurrency?: number;
  readonly log: (line: string) => void;
  readonly verbose: (line: string) => void;
}

export interface StackEventBus {
  readonly bus: LocalEventBus;
  /** Every EventBridge delivery's outcome, oldest first (for a function: the asynchronous Invoke accepted or not). */
  readonly deliveries: readonly DeliveryReport[];
  /** Every asynchronous invocation's final outcome (after Lambda's own retries), oldest first. */
  readonly invocations: readonly AsyncInvocationReport[];
  /** Every finished invocation attempt, Lambda's retries included, oldest first (the AWS/Lambda metrics read it). */
  readonly attempts: readonly InvocationAttempt[];
  /** Every event or record Lambda could not send to a destination or dead-letter queue, oldest first. */
  readonly deliveryFailures: readonly DeliveryFailure[];
  /**
   * UpdateFunctionCode, played by the local runtime: the function (name or ARN) runs the CommonJS bundle in
   * `assetDir` from its next cold start on; its environments of the previous code finish what they run, then stop.
   * Its configuration (role, environment, timeout, memory, rules, permissions) is untouched, as on AWS.
   * @throws ResourceNotFoundException when the stack has no such function.
   */
  updateFunctionCode(functionName: string, assetDir: string): Promise<void>;
  /**
   * PutFunctionEventInvokeConfig for `$LATEST`, played by the local runtime: the function's asynchronous retries,
   * event age and destinations from now on (AsyncInvoker.putConfig). A hook for the bench and tests, not the API:
   * unlike Lambda it does not check the execution role's permission for a destination when it is put (each delivery
   * is checked, as Lambda checks it then too), and moto's own copy of the configuration is left as deployed.
   * @throws ResourceNotFoundException when the stack has no such function; RangeError for a value Lambda refuses.
   */
  putFunctionEventInvokeConfig(functionName: string, config: EventInvokeConfig): void;
  close(): Promise<void>;
}

/**
 * An event or record of `functionName` that Lambda could not send on, counted in AWS/Lambda as `metric`:
 * DestinationDeliveryFailures (to a destination) or DeadLetterErrors (to the dead-letter queue).
 */
export interface DeliveryFailure {
  readonly functionName: string;
  readonly metric: 'DestinationDeliveryFailures' | 'DeadLetterErrors';
}

/** One run of a function: `failed` when it returned an error or timed out. */
export interface InvocationAttempt {
  readonly functionName: string;
  readonly failed: boolean;
}

/** The principal EventBridge invokes functions as; a rule needs a permission naming it and the rule's ARN. */
const EVENTS_PRINCIPAL = 'events.amazonaws.com';

/**
 * The function's execution role session: Lambda assumes the role as `lambda.amazonaws.com` for the function
 * (session named after it) and hands the credentials to each execution environment; renewed before it ends.
 */
function executionRoleSession(sessions: RoleSessions, fn: LambdaFunctionSpec): () => Promise<AwsCredentialIdentity> {
  if (!fn.roleArn) return () => Promise.reject(awsError('InvalidParameterValueException', `function ${fn.name} has no execution role`));
  return sessions.provider(fn.roleArn, { service: 'lambda.amazonaws.com', sourceAccount: LOCAL_ACCOUNT_ID, sourceArn: fn.arn, sessionName: fn.name });
}

/** A destination or target ARN naming `fn`, unqualified or with a qualifier (`$LATEST`, a version, an alias). */
function refersToFunction(arn: string, fn: LambdaFunctionSpec): boolean {
  return arn === fn.arn || arn.startsWith(`${fn.arn}:`);
}

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/**
 * The default event bus wired to the deployed stack: its rules, its functions (run from their assets, one warm
 * execution environment per concurrent invocation), its topics (published in moto) and its dead-letter queues.
 */
export function createStackEventBus(props: StackEventBusProps): StackEventBus {
  const { clients, log, verbose } = props;
  const pools = new Map<string, LambdaPool>();
  const functions = lambdaFunctions(props.deployed, props.assemblyDir);
  // The local runtime's own runner is compiled now rather than inside the first cold start: on AWS the runtime is
  // there before any event, and only the function's environments start cold. A failure here is retried, and
  // reported, by that first cold start.
  if (props.invokeFunctions && functions.length > 0) void runnerBundlePath().catch(() => undefined);
  // Code deployed after the stack (updateFunctionCode), by function ARN.
  const code = new Map<string, string>();
  const executionRoles = new Map(props.roleSessions ? functions.map((fn) => [fn.arn, executionRoleSession(props.roleSessions!, fn)] as const) : []);
  // Fetched now, so the first cold start finds the session ready, as Lambda's own credential fetch costs a cold
  // start next to nothing; a failure here is the cold start's to report.
  for (const session of executionRoles.values()) void session().catch(() => undefined);
  // One machine's cores for every function's cold starts (LambdaPoolOptions.initSlots).
  const initSlots = new InitSlots();
  const poolFor = (fn: LambdaFunctionSpec): LambdaPool => {
    let pool = pools.get(fn.arn);
    if (!pool) {
      pool = new LambdaPool({
        assetDir: code.get(fn.arn) ?? fn.assetDir,
        handler: fn.handler,
        functionName: fn.name,
        // The function's timeout is an AWS interval like the others: scaled, so the handler's own deadline-bound
        // retries (it reads the remaining time from its context) keep their proportion to the warning.
        timeoutMs: props.clock.toReal(fn.timeoutSeconds * 1000),
        memoryMb: fn.memoryMb,
        region: props.region,
        accountId: LOCAL_ACCOUNT_ID,
        environment: {
          ...fn.environment,
          ...localAwsEnvironment(props.endpoint, props.region),
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        ...(executionRoles.has(fn.arn) && { executionRole: executionRoles.get(fn.arn)! }),
        onLog: (line) => verbose(`[lambda ${fn.name}] ${line}`),
        ...(props.lambdaConcurrency !== undefined && { maxConcurrency: props.lambdaConcurrency }),
        initSlots,
      });
      pools.set(fn.arn, pool);
    }
    return pool;
  };

  const queueUrls = new Map<string, string>();
  const sendToQueue = async (queueArn: string, body: string, attributes?: Record<string, MessageAttributeValue>): Promise<void> => {
    const name = queueArn.split(':').pop()!;
    let url = queueUrls.get(queueArn);
    if (!url) {
      url = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
      queueUrls.set(queueArn, url);
    }
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageAttributes: attributes }));
  };

  /**
   * Rejects unless `fn`'s execution role may do `action` on `resource`: with the service's own error name
   * (`AccessDeniedException` from Lambda, `AccessDenied` from SQS) and IAM's message, naming the role session Lambda
   * acts as (`assumed-role/<role>/<function>`, as executionRoleSession names it).
   */
  const authorizeDelivery = async (fn: LambdaFunctionSpec, action: string, resource: string): Promise<void> => {
    // Without role sessions the local cloud enforces no IAM (a moto that does not), here as for the functions' calls.
    if (!props.roleSessions) return;
    if (!fn.roleArn) throw awsError('InvalidParameterValueException', `function ${fn.name} has no execution role`);
    const decision = await props.roleSessions.roleDecision(fn.roleArn, action, resource);
    if (decision === 'allow') return;
    const session = `arn:aws:sts::${fn.roleArn.split(':')[4]}:assumed-role/${roleNameOf(fn.roleArn)}/${fn.name}`;
    throw awsError(action.startsWith('sqs:') ? 'AccessDenied' : 'AccessDeniedException', accessDeniedMessage(session, action, resource, decision));
  };

  const invocations: AsyncInvocationReport[] = [];
  const attempts: InvocationAttempt[] = [];
  const deliveryFailures: DeliveryFailure[] = [];
  const invokers = new Map<string, AsyncInvoker>();
  // Asynchronous invocation settings put after the stack (putFunctionEventInvokeConfig), by function ARN.
  const invokeConfigs = new Map<string, EventInvokeConfig>();
  const functionNamed = (functionName: string): LambdaFunctionSpec => {
    const fn = functions.find((f) => f.name === functionName || f.arn === functionName);
    if (!fn) throw awsError('ResourceNotFoundException', `Function not found: ${functionName}`);
    return fn;
  };
  const invokerFor = (fn: LambdaFunctionSpec): AsyncInvoker => {
    let invoker = invokers.get(fn.arn);
    if (!invoker) {
      invoker = new AsyncInvoker({
        functionArn: fn.arn,
        config: invokeConfigs.get(fn.arn) ?? fn.eventInvokeConfig,
        ...(fn.deadLetterArn && { deadLetterArn: fn.deadLetterArn }),
        clock: props.clock,
        // Lambda sends to a dead-letter queue or a destination as the function's execution role, at each delivery
        // (the role needs sqs:SendMessage / lambda:InvokeFunction on it; DeadLetterErrors and
        // DestinationDeliveryFailures "can occur due to permissions errors": Lambda developer guide, "Types of metrics
        // for Lambda functions", https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html). A grant
        // removed after the deploy (which checks both, local/deploy/provisioners/lambda.ts) fails the delivery.
        sinks: {
          sendToQueue: async (queueArn, body, attributes) => {
            await authorizeDelivery(fn, 'sqs:SendMessage', queueArn);
            await sendToQueue(queueArn, body, attributes);
          },
          invokeFunction: async (destinationArn, record) => {
            await authorizeDelivery(fn, 'lambda:InvokeFunction', destinationArn);
            const destination = functions.find((f) => refersToFunction(destinationArn, f));
            if (!destination) throw awsError('ResourceNotFoundException', `Function not found: ${destinationArn}`);
            invokerFor(destination).enqueue(record);
          },
        },
        run: async (event) => {
          // A cold start that failed before the handler ran (its role, its module) comes back as the invocation's
          // error (LambdaPool.invoke), retried as a function error is; anything thrown is the pool's own failure.
          const result = await poolFor(fn).invoke(event);
          // Every attempt, Lambda's retries included, is an invocation in AWS/Lambda (a function error counts in
          // Errors there); the EventBridge delivery before it already succeeded, so it is no FailedInvocations.
          attempts.push({ functionName: fn.name, failed: result.error !== undefined });
          if (result.error) return { ok: false, error: result.error };
          verbose(`[lambda ${fn.name}] ${JSON.stringify(result.result)}`);
          return { ok: true, result: result.result };
        },
        onAttemptFailed: (_requestId, attempt, error, retryInMs) =>
          log(
            `  lambda ${fn.name} attempt ${attempt} failed (${error.errorType}: ${error.errorMessage})` +
              (retryInMs === undefined ? '' : `; Lambda retries in ${retryInMs / 1000} s (simulated)`),
          ),
        onOutcome: (report) => {
          invocations.push(report);
          const { outcome } = report;
          if (outcome.status === 'succeeded') {
            if (outcome.destinationError !== undefined) {
              deliveryFailures.push({ functionName: fn.name, metric: 'DestinationDeliveryFailures' });
              const why = outcome.destinationError instanceof Error ? outcome.destinationError.message : String(outcome.destinationError);
              log(`  lambda ${fn.name}: event ${report.eventId ?? report.requestId}: record not delivered to its on-success destination (${why})`);
            }
            return;
          }
          const where = outcome.status === 'discarded' ? 'discarded (no dead-letter queue or destination)' : outcome.status;
          log(`  lambda ${fn.name}: event ${report.eventId ?? report.requestId} ${where} after ${outcome.attempts} attempt(s) (${outcome.condition})`);
          if (outcome.deadLetterError !== undefined) deliveryFailures.push({ functionName: fn.name, metric: 'DeadLetterErrors' });
          if (outcome.destinationError !== undefined) deliveryFailures.push({ functionName: fn.name, metric: 'DestinationDeliveryFailures' });
          const event = report.eventId ?? report.requestId;
          for (const [sink, error] of [
            ['sending it to its dead-letter queue', outcome.deadLetterError],
            ['sending its record to its on-failure destination', outcome.destinationError],
          ] as const) {
            if (error !== undefined) log(`  lambda ${fn.name}: event ${event}: ${sink} failed (${error instanceof Error ? error.message : String(error)})`);
          }
          if (outcome.sinkError !== undefined) log(`  lambda ${fn.name}: event ${event} LOST: neither its dead-letter queue nor a destination took it`);
        },
      });
      invokers.set(fn.arn, invoker);
    }
    return invoker;
  };

  const deliveries: DeliveryReport[] = [];
  const bus = new LocalEventBus({
    rules: rulesOf(props.deployed),
    clock: props.clock,
    deliverers: {
      // EventBridge invokes a function asynchronously: the call succeeds once Lambda has queued the event, and a
      // function error is Lambda's to retry, not EventBridge's (Lambda developer guide, "Invoking a Lambda
      // function asynchronously", https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
      lambda: async (arn, input, _event, ruleArn) => {
        const fn = functions.find((f) => f.arn === arn);
        if (!fn) throw awsError('ResourceNotFoundException', `Function not found: ${arn}`);
        const allowed = fn.permissions.some((p) => p.principal === EVENTS_PRINCIPAL && (p.sourceArn === undefined || p.sourceArn === ruleArn));
        if (!allowed) {
          throw awsError('AccessDeniedException', `${EVENTS_PRINCIPAL} is not authorized to invoke ${fn.name} for rule ${ruleArn} (no AWS::Lambda::Permission)`);
        }
        if (!props.invokeFunctions) {
          log(`  (handler disabled: event for ${fn.name} not delivered)`);
          return;
        }
        invokerFor(fn).enqueue(JSON.parse(input));
      },
      sns: async (arn, input) => {
        await clients.sns.send(new PublishCommand({ TopicArn: arn, Message: input }));
      },
    },
    sendToDeadLetterQueue: async (queueArn, body, attributes) => {
      await sendToQueue(queueArn, body, attributes);
      log(`  event parked in dead-letter queue ${queueArn.split(':').pop()}`);
    },
    onRetry: (rule, target, attempt, err) => log(`  retrying ${rule} → ${target} (attempt ${attempt} failed: ${err instanceof Error ? err.message : err})`),
    onDelivery: (report) => {
      deliveries.push(report);
      if (report.result.status !== 'delivered') log(`  delivery ${report.rule} → ${report.targetId}: ${report.result.status}`);
    },
  });

  return {
    bus,
    deliveries,
    invocations,
    attempts,
    deliveryFailures,
    putFunctionEventInvokeConfig: (functionName, config) => {
      const fn = functionNamed(functionName);
      validateEventInvokeConfig(config);
      invokeConfigs.set(fn.arn, config);
      invokers.get(fn.arn)?.putConfig(config);
    },
    updateFunctionCode: async (functionName, assetDir) => {
      const fn = functionNamed(functionName);
      code.set(fn.arn, assetDir);
      const previous = pools.get(fn.arn);
      pools.delete(fn.arn);
      await previous?.retire();
    },
    close: async () => {
      for (const invoker of invokers.values()) await invoker.close();
      for (const pool of pools.values()) await pool.close();
    },
  };
}
