// Faults the handler must survive on its own, against a real moto behind the local cloud's AWS gateway (so faults
// are injected on the wire, before any answer of the gateway's, and the production SDK client configuration does the
// retrying), with ELB's target states for the fleet's target groups (harness/target-group-front.ts).
import { Logger } from '@aws-lambda-powertools/logger';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Context } from 'aws-lambda';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient, createElbv2Client, createSnsClient, lazily } from '../../handlers/interruption/clients.js';
import { dynamoDbConfirmations } from '../../handlers/interruption/confirmations.js';
import { createConfirmationHandler, type ConfirmationResult } from '../../handlers/interruption/confirmation-handler.js';
import { createHandler, type InterruptionHandler } from '../../handlers/interruption/handler.js';
import { actionOf, serviceOutage, throttle } from '../../local/faults.js';
import { AwsGateway, signedService } from '../../local/gateway.js';
import { motoClientConfig, startMoto, type MotoServer } from '../../local/moto-server.js';
import { SPOT_WARNING_MS } from '../../common/ec2-events.js';
import { createConfirmationTable } from '../../harness/confirmation-table.js';
import { interruptionWarning } from '../../harness/ec2-events.js';
import { successRecord } from '../../harness/invocation-record.js';
import { createFleetFixture, registeredIds, type FleetFixture } from '../../harness/fleet-fixture.js';
import { startTargetGroupFront, type TargetGroupFront } from '../../harness/target-group-front.js';


let moto: MotoServer;
let gateway: AwsGateway;
let front: TargetGroupFront;
let endpoint: string;
let fleet: FleetFixture;
let sqs: SQSClient;
let queueUrl: string;
let topicArn: string;
let confirmationTable: string;
/** ELBv2 actions that reached the gateway, in order. */
let elbCalls: string[] = [];

beforeAll(async () => {
  moto = await startMoto();
  gateway = new AwsGateway({ upstream: moto.endpoint });
  endpoint = await gateway.start();
  gateway.intercept((req) => {
    if (signedService(req.headers) === 'elasticloadbalancing') elbCalls.push(actionOf(req) ?? '?');
    return undefined;
  });
  fleet = await createFleetFixture(moto.endpoint, { fleetInstances: 5, foreignInstances: 1 });
  front = await startTargetGroupFront(gateway, moto.endpoint, [fleet.targetGroupArn, fleet.foreignTargetGroupArn]);
  const sns = new SNSClient(motoClientConfig(moto.endpoint));
  sqs = new SQSClient(motoClientConfig(moto.endpoint));
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'fault-interruptions' }))).TopicArn!;
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'fault-inbox' }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'true' } }));
  const dynamodb = new DynamoDBClient(motoClientConfig(moto.endpoint));
  confirmationTable = await createConfirmationTable(dynamodb, 'fault-confirmations');
  dynamodb.destroy();
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
}, 30_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await front?.close();
  await gateway?.close();
  await moto?.stop();
});

const clientConfig = () => ({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

/** The production handler with its production clients, pointed at the gateway. */
function productionHandler(): { handler: InterruptionHandler; logger: Logger } {
  const logger = new Logger({ serviceName: 'fault-test', logLevel: 'SILENT' });
  const handler = createHandler({
    config: { targetGroupArns: [fleet.targetGroupArn], drainOnRebalance: false },
    elbv2: createElbv2Client(clientConfig()),
    logger,
    metrics: new Metrics({ namespace: 'fault-test' }),
  });
  return { handler, logger };
}

/** The production drain confirmation function, fed the handler's on-success record as Lambda feeds it. */
function productionConfirmation(): (event: unknown, outcome: unknown) => Promise<ConfirmationResult> {
  const confirm = createConfirmationHandler({
    config: { targetGroupArns: [fleet.targetGroupArn], topicArn, confirmationTableName: confirmationTable, deregistrationDelaySeconds: 120 },
    sns: createSnsClient(clientConfig()),
    confirmations: dynamoDbConfirmations(confirmationTable, lazily(() => createDynamoDbClient(clientConfig()))),
    logger: new Logger({ serviceName: 'fault-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'fault-test' }),
  });
  return (event, outcome) => confirm(successRecord(event, outcome));
}

/**
 * Control group: the handler as it was before it knew Lambda's asynchronous retry semantics: one pass, left to the
 * SDK (5 attempts, 3 s to connect, 10 s per request) and then to the platform's retries.
 */
function previousHandler(): InterruptionHandler {
  const previousClient = { maxAttempts: 5, retryMode: 'standard', requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 } } as const;
  return createHandler({
    config: { targetGroupArns: [fleet.targetGroupArn], drainOnRebalance: false },
    elbv2: new ElasticLoadBalancingV2Client({ ...clientConfig(), ...previousClient }),
    logger: new Logger({ serviceName: 'fault-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'fault-test' }),
    retry: { budgetWithoutContextMs: 0 },
  });
}

/** A Lambda context whose function times out `timeoutMs` from now. */
function lambdaContext(timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return { awsRequestId: 'fault-test', getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) } as Context;
}

async function drainInbox(): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!out.Messages?.length) return bodies;
    bodies.push(...out.Messages.map((m) => m.Body!));
  }
}

describe('fault: duplicate storm', () => {
  it('the same warning delivered 20 times at once: the instance taken out, one notification, no errors', async () => {
    const [warned, ...others] = fleet.fleetInstanceIds;
    const { handler } = productionHandler();
    const confirm = productionConfirmation();
    const event = interruptionWarning(warned!);
    await drainInbox();

    // Each delivery: the handler's invocation, then (as Lambda does on success) the confirmation's.
    const settled = await Promise.allSettled(
      Array.from({ length: 20 }, async () => {
        const outcome = await handler(structuredClone(event));
        await confirm(structuredClone(event), outcome);
        return outcome;
      }),
    );

    const errors = settled.filter((s) => s.status === 'rejected');
    expect(errors).toEqual([]);
    const statuses = settled.map((s) => (s.status === 'fulfilled' ? s.value.status : 'error'));
    // Each delivery's DeregisterTargets succeeds (ELB's answer for a target already leaving) and each finds it draining.
    expect(statuses).toEqual(Array(20).fill('deregistered'));
    expect(await registeredIds(fleet.elbv2, fleet.targetGroupArn)).toEqual([...others].sort());
    // One notification: the confirmation claim lets one delivery send it.
    const messages = await drainInbox();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(warned);
  });
});

describe('fault: throttling', () => {
  it('the ELB API throttling the first calls: the SDK retries and the instance is deregistered within the warning', async () => {
    const [, warned] = fleet.fleetInstanceIds;
    const { handler } = productionHandler();
    const throttled = throttle({ service: 'elasticloadbalancing', count: 3 });
    const remove = gateway.injectFault(throttled.intercept);
    elbCalls = [];
    try {
      const started = performance.now();
      const outcome = await handler(interruptionWarning(warned!));
      const elapsed = performance.now() - started;

      expect(outcome).toMatchObject({ status: 'deregistered', instanceId: warned });
      expect(throttled.injected).toBe(3);
      // Every throttled call was retried: three answered with Throttling (before the gateway's own interceptors, which
      // count what gets through), then each action succeeded once, the deregistration first.
      expect(elbCalls).toEqual(['DeregisterTargets', 'DescribeTargetHealth']);
      expect(elapsed).toBeLessThan(SPOT_WARNING_MS);
      expect(await registeredIds(fleet.elbv2, fleet.targetGroupArn)).not.toContain(warned);
    } finally {
      remove();
    }
  });
});

describe('fault: hostile input', () => {
  const hostileIds: unknown[] = [
    "i-0123456789abcdef0' OR '1'='1",
    'i-0123456789abcdef0&Action=DeregisterTargets&Targets.member.1.Id=i-0123456789abcdef1',
    'i-0123456789abcdef0\r\nX-Injected: 1',
    '../../../../etc/passwd',
    '${jndi:ldap://127.0.0.1/a}',
    `i-${'a'.repeat(1_000_000)}`,
    'I-0123456789ABCDEF0',
    ' i-0123456789abcdef0',
    42,
    null,
    true,
    ['i-0123456789abcdef0'],
    { $ne: null },
  ];
  const structural: Array<[string, unknown]> = [
    ['no event', undefined],
    ['a string', 'EC2 Spot Instance Interruption Warning'],
    ['an array', [interruptionWarning('i-0123456789abcdef0')]],
    ['detail as a string', { ...interruptionWarning('i-0123456789abcdef0'), detail: '{"instance-id":"i-0123456789abcdef0"}' }],
    ['a wrong source', { ...interruptionWarning('i-0123456789abcdef0'), source: 'attacker' }],
    ['detail-type as a number', { ...interruptionWarning('i-0123456789abcdef0'), 'detail-type': 7 }],
    ['a bad instance-action', { ...interruptionWarning('i-0123456789abcdef0'), detail: { 'instance-id': 'i-0123456789abcdef0', 'instance-action': 'rm -rf /' } }],
    ['a 5 MB payload', { ...interruptionWarning('i-0123456789abcdef0'), detail: { 'instance-id': 'i-0123456789abcdef0', 'instance-action': 'x'.repeat(5 * 1024 * 1024) } }],
    ['a __proto__ key', JSON.parse('{"source":"aws.ec2","detail-type":"EC2 Spot Instance Interruption Warning","detail":{"__proto__":{"instance-id":"i-0123456789abcdef0","instance-action":"terminate"}}}')],
  ];
  const cases: Array<[string, unknown]> = [
    ...hostileIds.map((id): [string, unknown] => [`instance id ${JSON.stringify(id)?.slice(0, 60)}`, { ...interruptionWarning('i-00000000'), detail: { 'instance-id': id, 'instance-action': 'terminate' } }]),
    ...structural,
  ];

  it.each(cases)('%s: rejected, nothing called, nothing changed, logged', async (_name, event) => {
    const { handler, logger } = productionHandler();
    const warn = vi.spyOn(logger, 'warn');
    const before = await registeredIds(fleet.elbv2, fleet.targetGroupArn);
    elbCalls = [];

    const outcome = await handler(event);

    expect(outcome.status).toBe('rejected');
    expect(outcome.reason).toBeTruthy();
    // The reason quotes the input, bounded: a log line cannot be blown up by the payload.
    expect(outcome.reason!.length).toBeLessThan(300);
    expect(elbCalls).toEqual([]);
    expect(await registeredIds(fleet.elbv2, fleet.targetGroupArn)).toEqual(before);
    expect(warn).toHaveBeenCalledWith('interruption event rejected', expect.objectContaining({ outcome: 'rejected' }));
  });
});

describe('fault: the ELB API down or hung, at real time, against the function timeout (control group: the previous handler)', () => {
  it('an outage of 12 s: the handler rides it out inside one invocation; the previous handler fails within it and waits for Lambda\'s retry a minute later', async () => {
    const [, , ours, theirs] = fleet.fleetInstanceIds;
    const outage = serviceOutage({ service: 'elasticloadbalancing', forMs: 12_000 });
    const remove = gateway.injectFault(outage.intercept);
    try {
      const started = performance.now();
      const [current, previous] = await Promise.allSettled([
        productionHandler().handler(interruptionWarning(ours!), lambdaContext(60_000)),
        previousHandler()(interruptionWarning(theirs!)),
      ]);
      const elapsed = performance.now() - started;
      console.log(`12 s ELB outage: handler ${current.status} after ${(elapsed / 1000).toFixed(1)} s; previous handler ${previous.status}`);

      expect(current).toMatchObject({ status: 'fulfilled', value: { status: 'deregistered' } });
      expect((current as PromiseFulfilledResult<{ attempts?: number }>).value.attempts).toBeGreaterThan(1);
      expect(elapsed).toBeGreaterThan(12_000);
      expect(elapsed).toBeLessThan(30_000);
      expect(await registeredIds(fleet.elbv2, fleet.targetGroupArn)).not.toContain(ours);
      // The control group gave up inside the outage: on AWS its next chance is Lambda's retry a minute later.
      expect(previous.status).toBe('rejected');
      expect(await registeredIds(fleet.elbv2, fleet.targetGroupArn)).toContain(theirs);
    } finally {
      remove();
    }
  }, 60_000);

  it('a hung endpoint: the handler ends with a clean, logged error before a 10 s function timeout; the previous handler is still waiting on its first request', async () => {
    const warned = fleet.fleetInstanceIds[4]!;
    const held: Array<() => void> = [];
    const remove = gateway.injectFault((req) =>
      signedService(req.headers) === 'elasticloadbalancing'
        ? new Promise((resolve) => held.push(() => resolve({ status: 503, body: '' })))
        : undefined,
    );
    const FUNCTION_TIMEOUT_MS = 10_000;
    try {
      const { handler, logger } = productionHandler();
      const logged = vi.spyOn(logger, 'error');
      const started = performance.now();
      const timedOut = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), FUNCTION_TIMEOUT_MS));
      const previous = previousHandler()(interruptionWarning(warned)).then(
        () => 'resolved' as const,
        () => 'rejected' as const,
      );
      const current = await handler(interruptionWarning(warned), lambdaContext(FUNCTION_TIMEOUT_MS)).then(
        () => 'resolved' as const,
        (error: Error) => error,
      );
      const elapsed = performance.now() - started;

      expect(current).toBeInstanceOf(Error);
      expect(elapsed).toBeLessThan(FUNCTION_TIMEOUT_MS);
      expect(logged).toHaveBeenCalledWith('interruption event failed', expect.objectContaining({ outcome: 'failed', instanceId: warned }));
      // Lambda would have killed the previous handler mid-request: a timeout, nothing logged by the handler.
      expect(await Promise.race([previous, timedOut])).toBe('timeout');
      console.log(`hung ELB endpoint: handler failed cleanly after ${(elapsed / 1000).toFixed(1)} s of a ${FUNCTION_TIMEOUT_MS / 1000} s timeout; the previous handler was still waiting at the timeout`);
    } finally {
      remove();
      for (const release of held) release();
    }
  }, 60_000);
});
