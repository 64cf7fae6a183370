import { PublishCommand } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SimulatedClock } from '../clock.js';
import type { AwsClients } from '../deploy/clients.js';
import { LOCAL_ACCOUNT_ID, localAwsEnvironment } from '../contract.js';
import type { DeployedStack } from '../deploy/deploy.js';
import { LambdaPool } from '../lambda/pool.js';
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
  readonly clock: SimulatedClock;
  /** Off: events for the stack's functions are dropped (shows what the handler prevents). */
  readonly invokeFunctions: boolean;
  /** Each finished invocation (`failed`: the function returned an error), for the AWS/Lambda metrics. */
  readonly onInvocation?: (functionName: string, failed: boolean) => void;
  readonly log: (line: string) => void;
  readonly verbose: (line: string) => void;
}

export interface StackEventBus {
  readonly bus: LocalEventBus;
  /** Every delivery's outcome, oldest first. */
  readonly deliveries: readonly DeliveryReport[];
  close(): Promise<void>;
}

/**
 * The default event bus wired to the deployed stack: its rules, its functions (run from their assets, one warm
 * execution environment per concurrent invocation), its topics (published in moto) and its dead-letter queues.
 */
export function createStackEventBus(props: StackEventBusProps): StackEventBus {
  const { clients, log, verbose } = props;
  const pools = new Map<string, LambdaPool>();
  const functions = lambdaFunctions(props.deployed, props.assemblyDir);
  const poolFor = (fn: LambdaFunctionSpec): LambdaPool => {
    let pool = pools.get(fn.arn);
    if (!pool) {
      pool = new LambdaPool({
        assetDir: fn.assetDir,
        handler: fn.handler,
        functionName: fn.name,
        timeoutMs: fn.timeoutSeconds * 1000,
        memoryMb: fn.memoryMb,
        region: props.region,
        accountId: LOCAL_ACCOUNT_ID,
        environment: {
          ...fn.environment,
          ...localAwsEnvironment(props.endpoint, props.region),
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        onLog: (line) => verbose(`[lambda ${fn.name}] ${line}`),
      });
      pools.set(fn.arn, pool);
    }
    return pool;
  };

  const deliveries: DeliveryReport[] = [];
  const queueUrls = new Map<string, string>();
  const bus = new LocalEventBus({
    rules: rulesOf(props.deployed),
    clock: props.clock,
    deliverers: {
      lambda: async (arn, input) => {
        const fn = functions.find((f) => f.arn === arn);
        if (!fn) throw Object.assign(new Error(`function ${arn} not found`), { name: 'ResourceNotFoundException' });
        if (!props.invokeFunctions) {
          log(`  (handler disabled: event for ${fn.name} not delivered)`);
          return;
        }
        const result = await poolFor(fn).invoke(JSON.parse(input));
        props.onInvocation?.(fn.name, result.error !== undefined);
        if (result.error) throw new Error(`${result.error.errorType}: ${result.error.errorMessage}`);
        verbose(`[lambda ${fn.name}] ${JSON.stringify(result.result)}`);
      },
      sns: async (arn, input) => {
        await clients.sns.send(new PublishCommand({ TopicArn: arn, Message: input }));
      },
    },
    sendToDeadLetterQueue: async (queueArn, body, attributes) => {
      const name = queueArn.split(':').pop()!;
      let url = queueUrls.get(queueArn);
      if (!url) {
        url = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
        queueUrls.set(queueArn, url);
      }
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageAttributes: attributes }));
      log(`  event parked in dead-letter queue ${name}`);
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
    close: async () => {
      for (const pool of pools.values()) await pool.close();
    },
  };
}
