// The handler and its drain confirmation bundled as they ship (infra/handler-bundling.ts, environment-only
// credentials included), configured through their environment as the stack configures them, against moto behind the
// local cloud's gateway with ELB's target states (harness/target-group-front.ts: moto alone forgets a deregistered
// target, where ELB shows it draining): proves the wire calls (and AWS_ENDPOINT_URL wiring), not just the mocks. Each
// delivery runs the handler, then the confirmation with the success record Lambda would send it.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handlerBuildOptions } from '../../infra/handler-bundling.js';
import type { handler as Handler } from '../../handlers/interruption/index.js';
import type { handler as ConfirmationHandler } from '../../handlers/interruption/confirm.js';
import { successRecord } from '../../harness/invocation-record.js';
import { interruptionWarning, rebalanceRecommendation } from '../../harness/ec2-events.js';
import { createConfirmationTable } from '../../harness/confirmation-table.js';
import { createFleetFixture, motoClientConfig, register, registeredIds, type FleetFixture } from '../../harness/fleet-fixture.js';
import { AwsGateway } from '../../local/gateway.js';
import { startMoto, type MotoServer } from '../../local/moto-server.js';
import { startTargetGroupFront, type TargetGroupFront } from '../../harness/target-group-front.js';

let moto: MotoServer;
let gateway: AwsGateway;
let front: TargetGroupFront;
let fleet: FleetFixture;
let secondTargetGroupArn: string;
let queueUrl: string;
let sqs: SQSClient;
let drain: typeof Handler;
let confirm: typeof ConfirmationHandler;
let bundleDir: string;

/** One delivery: the handler, then (it succeeded) the confirmation with its record; the handler's outcome. */
async function handler(event: unknown) {
  const outcome = await drain(event);
  await confirm(successRecord(event, outcome));
  return outcome;
}

beforeAll(async () => {
  moto = await startMoto();
  fleet = await createFleetFixture(moto.endpoint, { fleetInstances: 4, foreignInstances: 1 });
  const [, , , inBothGroups] = fleet.fleetInstanceIds;
  secondTargetGroupArn = (
    await fleet.elbv2.send(new CreateTargetGroupCommand({ Name: 'fleet-second', Protocol: 'HTTP', Port: 8080, VpcId: fleet.vpcId }))
  ).TargetGroups![0]!.TargetGroupArn!;
  await register(fleet.elbv2, secondTargetGroupArn, [inBothGroups!]);
  gateway = new AwsGateway({ upstream: moto.endpoint });
  const endpoint = await gateway.start();
  front = await startTargetGroupFront(gateway, moto.endpoint, [fleet.targetGroupArn, secondTargetGroupArn, fleet.foreignTargetGroupArn]);

  const sns = new SNSClient(motoClientConfig(moto.endpoint));
  sqs = new SQSClient(motoClientConfig(moto.endpoint));
  const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'interruptions' }))).TopicArn!;
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'interruptions-inbox' }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'true' } }));
  const dynamodb = new DynamoDBClient(motoClientConfig(moto.endpoint));
  const confirmationTable = await createConfirmationTable(dynamodb, 'drain-confirmations');
  dynamodb.destroy();

  for (const [name, value] of Object.entries({
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    TARGET_GROUP_ARNS: `${fleet.targetGroupArn},${secondTargetGroupArn}`,
    DEREGISTRATION_DELAY_SECONDS: '120',
    TOPIC_ARN: topicArn,
    CONFIRMATION_TABLE_NAME: confirmationTable,
    POWERTOOLS_SERVICE_NAME: 'interruption-handler-test',
    POWERTOOLS_METRICS_NAMESPACE: 'spotweb-test',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  })) {
    vi.stubEnv(name, value);
  }
  bundleDir = mkdtempSync(join(tmpdir(), 'handler-bundle-'));
  const load = async <T>(entry: 'handler' | 'confirmation'): Promise<T> => {
    const bundle = join(bundleDir, `${entry}.cjs`);
    await build(handlerBuildOptions(bundle, entry));
    // The bundle reads its environment and builds its clients at load, as Lambda's init does.
    return (createRequire(import.meta.url)(bundle) as { handler: T }).handler;
  };
  drain = await load<typeof Handler>('handler');
  confirm = await load<typeof ConfirmationHandler>('confirmation');
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await front?.close();
  await gateway?.close();
  await moto?.stop();
  if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
});

async function inboxMessages(): Promise<string[]> {
  const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
  return (received.Messages ?? []).map((m) => m.Body!);
}

// The cases run in order on one fleet: the duplicate repeats the first event.
describe('interruption handler against moto', () => {
  it('takes exactly the warned instance out of our target group and says so on the topic', async () => {
    const [warned, ...others] = fleet.fleetInstanceIds;

    const outcome = await handler(interruptionWarning(warned!));

    expect(outcome).toMatchObject({ status: 'deregistered', instanceId: warned });
    expect(await registeredIds(fleet.elbv2, fleet.targetGroupArn)).toEqual([...others].sort());
    expect(await registeredIds(fleet.elbv2, fleet.foreignTargetGroupArn)).toEqual([...fleet.foreignInstanceIds]);
    const tgName = /targetgroup\/([^/]+)\//.exec(fleet.targetGroupArn)![1];
    const inbox = await inboxMessages();
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatch(new RegExp(`^spotweb drained Spot instance ${warned}: deregistered from tg/${tgName} after AWS's interruption warning .*up to 120 s\\.$`));
  });

  it('succeeds on a duplicate of that event and changes nothing: the target is draining, the message sent already', async () => {
    const [warned, ...others] = fleet.fleetInstanceIds;

    expect(await handler(interruptionWarning(warned!))).toMatchObject({ status: 'deregistered' });
    expect(await registeredIds(fleet.elbv2, fleet.targetGroupArn)).toEqual([...others].sort());
    expect(await inboxMessages()).toEqual([]);
  });

  it('leaves a foreign instance where it is', async () => {
    const [foreign] = fleet.foreignInstanceIds;
    const before = await registeredIds(fleet.elbv2, fleet.targetGroupArn);

    expect(await handler(interruptionWarning(foreign!, 'stop'))).toMatchObject({ status: 'not-registered' });
    expect(await registeredIds(fleet.elbv2, fleet.foreignTargetGroupArn)).toEqual([foreign]);
    expect(await registeredIds(fleet.elbv2, fleet.targetGroupArn)).toEqual(before);
  });

  it('ignores a rebalance recommendation while draining on rebalance is off', async () => {
    const [, kept] = fleet.fleetInstanceIds;

    expect(await handler(rebalanceRecommendation(kept!))).toMatchObject({ status: 'ignored' });
    expect(await registeredIds(fleet.elbv2, fleet.targetGroupArn)).toContain(kept);
  });

  it('rejects a malformed event without touching anything', async () => {
    const before = await registeredIds(fleet.elbv2, fleet.targetGroupArn);

    expect(await handler({ source: 'aws.ec2', 'detail-type': 'EC2 Spot Instance Interruption Warning', detail: {} })).toMatchObject({ status: 'rejected' });
    expect(await registeredIds(fleet.elbv2, fleet.targetGroupArn)).toEqual(before);
  });

  it('deregisters an instance from every one of our target groups it is in', async () => {
    const inBothGroups = fleet.fleetInstanceIds[3]!;

    const outcome = await handler(interruptionWarning(inBothGroups, 'hibernate'));

    expect(outcome.targetGroups).toEqual([
      { targetGroupArn: fleet.targetGroupArn, outcome: 'deregistered' },
      { targetGroupArn: secondTargetGroupArn, outcome: 'deregistered' },
    ]);
    expect(await registeredIds(fleet.elbv2, fleet.targetGroupArn)).not.toContain(inBothGroups);
    expect(await registeredIds(fleet.elbv2, secondTargetGroupArn)).toEqual([]);
  });
});
