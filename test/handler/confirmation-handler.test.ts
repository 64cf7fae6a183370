import 'aws-sdk-client-mock-vitest/extend';
import {
  DeregisterTargetsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lazily } from '../../handlers/interruption/clients.js';
import type { ConfirmationConfig, HandlerConfig } from '../../handlers/interruption/config.js';
import { createConfirmationHandler, RejectedRecordError } from '../../handlers/interruption/confirmation-handler.js';
import { dynamoDbConfirmations } from '../../handlers/interruption/confirmations.js';
import { createHandler } from '../../handlers/interruption/handler.js';
import { interruptionWarning, rebalanceRecommendation } from '../../harness/ec2-events.js';
import { successRecord } from '../../harness/invocation-record.js';
import { elbTargets } from '../support/elb-target.js';

const INSTANCE = 'i-0b662ef9931388ba0';
const TG_WEB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef';
const TG_API = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/fedcba9876543210';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:spotweb-interruptions';
const TABLE = 'spotweb-confirmations';

const elbv2Mock = mockClient(ElasticLoadBalancingV2Client);
const snsMock = mockClient(SNSClient);
const dynamodbMock = mockClient(DynamoDBClient);

/** A claim taken: DynamoDB returns the item as written (ReturnValues ALL_NEW), target groups included. */
const claimTaken = (input: UpdateItemCommandInput) => ({ Attributes: { targetGroupArns: input.ExpressionAttributeValues?.[':groups'] ?? { L: [] } } });
/** A claim refused; `state` is what ReturnValuesOnConditionCheckFailure shows, none when there is no item. */
const claimRefused = (state?: string) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(state && { Item: { state: { S: state } } }) });
const updates = () => dynamodbMock.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);

/**
 * The interruption path as Lambda runs it, in one process: the handler drains (ELB mocked), and its response goes
 * to the confirmation function in a success record, through JSON as Lambda carries it.
 */
function setup(options: { handler?: Partial<HandlerConfig>; confirmation?: Partial<ConfirmationConfig> } = {}) {
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'test', serviceName: 'test' });
  const log = { info: vi.spyOn(logger, 'info'), warn: vi.spyOn(logger, 'warn'), error: vi.spyOn(logger, 'error') };
  const addMetric = vi.spyOn(metrics, 'addMetric');
  vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
  const dynamodb = vi.fn(() => new DynamoDBClient({ region: 'us-east-1' }));
  const drain = createHandler({
    config: { targetGroupArns: [TG_WEB], drainOnRebalance: false, ...options.handler },
    elbv2: new ElasticLoadBalancingV2Client({ region: 'us-east-1' }),
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test' }),
    retry: { budgetWithoutContextMs: 0 },
  });
  const confirm = createConfirmationHandler({
    config: {
      // The handler's target groups, as the stack gives both functions the same list.
      targetGroupArns: options.handler?.targetGroupArns ?? [TG_WEB],
      topicArn: TOPIC,
      confirmationTableName: TABLE,
      deregistrationDelaySeconds: 120,
      ...options.confirmation,
    },
    sns: new SNSClient({ region: 'us-east-1' }),
    // As confirm.ts builds it: the client made on first use.
    confirmations: dynamoDbConfirmations(TABLE, lazily(dynamodb)),
    logger,
    metrics,
    retry: { budgetWithoutContextMs: 0 },
  });
  /** One delivery of `event`: the handler's invocation, then (it succeeded) the confirmation's. */
  const deliver = async (event: unknown) => {
    const outcome = await drain(event);
    return { outcome, confirmation: await confirm(successRecord(event, outcome)) };
  };
  return { deliver, drain, confirm, log, dynamodb, metricNames: () => addMetric.mock.calls.map(([name]) => name) };
}

beforeEach(() => {
  elbv2Mock.reset();
  snsMock.reset();
  dynamodbMock.reset();
  // An empty table: a deregistering delivery takes the claim, a resuming one finds nothing to resume.
  dynamodbMock.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
    if (input.ConditionExpression?.startsWith('attribute_exists')) throw claimRefused();
    return claimTaken(input);
  });
});
afterEach(() => vi.restoreAllMocks());

describe('the drain confirmation (the handler\'s on-success destination)', () => {
  it('publishes a real deregistration to the topic', async () => {
    elbTargets(elbv2Mock, INSTANCE, { [TG_WEB]: 'healthy', [TG_API]: 'healthy' });
    const { deliver, metricNames } = setup({ handler: { targetGroupArns: [TG_WEB, TG_API] }, confirmation: { deregistrationDelaySeconds: 90 } });

    const event = interruptionWarning(INSTANCE, 'stop');
    expect((await deliver(event)).confirmation).toMatchObject({ status: 'published', instanceId: INSTANCE, eventId: event.id });

    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: `spotweb drained Spot instance ${INSTANCE}`,
      Message:
        `spotweb drained Spot instance ${INSTANCE}: deregistered from tg/web, tg/api after AWS's interruption warning ` +
        `(instance-action: stop, warning at ${event.time}, region us-east-1). The load balancer sends new requests ` +
        'to the other targets and lets requests in flight finish for up to 90 s.',
    });
    expect(metricNames()).toEqual(['ConfirmationPublished']);
  });

  it('leaves the handler\'s invocation at the drain: claim, Publish and mark sent come in the confirmation\'s own', async () => {
    const { calls: order } = elbTargets(elbv2Mock, INSTANCE, { [TG_WEB]: 'healthy' });
    const { drain, confirm } = setup();
    dynamodbMock.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => (order.push(`UpdateItem ${input.ExpressionAttributeValues?.[':set']?.S ?? 'claim'}`), claimTaken(input)));
    snsMock.on(PublishCommand).callsFake(() => (order.push('Publish'), {}));
    const event = interruptionWarning(INSTANCE);

    const outcome = await drain(event);
    expect(outcome).toMatchObject({ status: 'deregistered' });
    expect(order).toEqual(['DeregisterTargets -', 'DescribeTargetHealth']);
    expect((await confirm(successRecord(event, outcome))).status).toBe('published');
    expect(order).toEqual(['DeregisterTargets -', 'DescribeTargetHealth', 'UpdateItem claim', 'Publish', 'UpdateItem sent']);
    const [claim, sent] = updates();
    expect(claim).toMatchObject({
      TableName: TABLE,
      Key: { instanceId: { S: INSTANCE } },
      ConditionExpression: 'attribute_not_exists(#pk) OR (#state = :released OR (#state = :sending AND #lease < :now))',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(claim!.ExpressionAttributeValues).toMatchObject({ ':groups': { L: [{ S: TG_WEB }] }, ':event': { S: event.id } });
    // The lease ends at the confirmation function's deadline (60 s without a Lambda context).
    expect(Number(claim!.ExpressionAttributeValues![':lease']!.N) - Date.now()).toBeGreaterThan(55_000);
    expect(sent).toMatchObject({ ConditionExpression: '#owner = :owner AND #state = :sending', ExpressionAttributeValues: { ':owner': claim!.ExpressionAttributeValues![':owner'] } });
  });

  it('confirms once when the same event is delivered again after the drain (at-least-once delivery)', async () => {
    elbTargets(elbv2Mock, INSTANCE, { [TG_WEB]: 'healthy' });
    dynamodbMock.on(UpdateItemCommand).callsFakeOnce(claimTaken).callsFakeOnce(claimTaken).rejects(claimRefused('sent'));
    const { deliver } = setup();
    const event = interruptionWarning(INSTANCE);

    const results = [await deliver(event), await deliver(event), await deliver(event)];
    expect(results.map((r) => [r.outcome.status, r.confirmation.status])).toEqual([
      ['deregistered', 'published'],
      // The duplicates find the target draining after their own call: whose drain it was is for the claim to say.
      ['deregistered', 'sent-earlier'],
      ['deregistered', 'sent-earlier'],
    ]);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('leaves the confirmation to a concurrent invocation that holds the claim, and succeeds', async () => {
    elbTargets(elbv2Mock, INSTANCE, { [TG_WEB]: 'healthy', [TG_API]: 'healthy' });
    dynamodbMock.on(UpdateItemCommand).rejects(claimRefused('sending'));
    const { deliver, log } = setup();

    expect((await deliver(interruptionWarning(INSTANCE))).confirmation).toMatchObject({ status: 'sending-elsewhere' });
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    expect(log.error).not.toHaveBeenCalled();
  });

  it('sends the confirmation from a delivery that finds the instance draining, with the target groups the claim records', async () => {
    elbTargets(elbv2Mock, INSTANCE, { [TG_WEB]: 'not-registered', [TG_API]: 'draining' });
    // The item as the first delivery wrote it (released): the target groups it drained come back with the claim.
    dynamodbMock.on(UpdateItemCommand).callsFake(() => ({ Attributes: { targetGroupArns: { L: [{ S: TG_API }] } } }));
    const { deliver } = setup({ handler: { targetGroupArns: [TG_WEB, TG_API] } });

    const { outcome, confirmation } = await deliver(interruptionWarning(INSTANCE));
    expect([outcome.status, confirmation.status]).toEqual(['deregistered', 'published']);
    expect(updates()[0]!.ConditionExpression).toBe('attribute_not_exists(#pk) OR (#state = :released OR (#state = :sending AND #lease < :now))');
    expect(snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Message).toContain('deregistered from tg/api after');
  });

  it("resumes a released claim from a delivery that finds the instance gone (Lambda's retry after the deregistration delay)", async () => {
    elbTargets(elbv2Mock, INSTANCE, {});
    dynamodbMock.on(UpdateItemCommand).callsFake(() => ({ Attributes: { targetGroupArns: { L: [{ S: TG_WEB }] } } }));
    const { deliver } = setup();

    const { outcome, confirmation } = await deliver(interruptionWarning(INSTANCE));
    expect([outcome.status, confirmation.status]).toEqual(['not-registered', 'published']);
    expect(updates()[0]!.ConditionExpression).toBe('attribute_exists(#pk) AND (#state = :released OR (#state = :sending AND #lease < :now))');
    expect(snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Message).toContain('deregistered from tg/web after');
  });

  it("resumes a claim from a record of the handler's previous version (`already-draining`), as one left from before a stack update", async () => {
    dynamodbMock.on(UpdateItemCommand).callsFake(() => ({ Attributes: { targetGroupArns: { L: [{ S: TG_WEB }] } } }));
    const { confirm } = setup();
    const event = interruptionWarning(INSTANCE);
    const legacy = { status: 'already-draining', eventId: event.id, instanceId: INSTANCE, action: 'terminate', targetGroups: [{ targetGroupArn: TG_WEB, outcome: 'already-draining' }], elapsedMs: 1 };

    expect(await confirm(successRecord(event, legacy))).toMatchObject({ status: 'published' });
    expect(updates()[0]!.ConditionExpression).toMatch(/^attribute_exists\(#pk\) AND /);
  });

  it('leaves out a time or region that is not well-formed rather than echo it', async () => {
    elbTargets(elbv2Mock, INSTANCE, { [TG_WEB]: 'healthy', [TG_API]: 'healthy' });
    const { deliver } = setup();

    await deliver({ ...interruptionWarning(INSTANCE), time: 'yesterday\u001b[31m', region: 'x'.repeat(500) });
    const message = snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Message!;
    expect(message).toContain('(instance-action: terminate)');
    expect(message).not.toContain('yesterday');
    expect(message).not.toContain('xxx');
  });

  it('confirms a target it finds draining with no claim yet: whose drain it was cannot be told (drain.ts), and one message goes out', async () => {
    elbTargets(elbv2Mock, INSTANCE, { [TG_WEB]: 'draining' });
    const { deliver } = setup();

    expect((await deliver(interruptionWarning(INSTANCE))).confirmation).toMatchObject({ status: 'published' });
    expect(snsMock).toHaveReceivedCommandOnce(PublishCommand);
  });

  it('builds the DynamoDB client only for records of events acted on, and once', async () => {
    elbTargets(elbv2Mock, INSTANCE, { [TG_WEB]: 'healthy', [TG_API]: 'healthy' });
    const { deliver, dynamodb } = setup();

    expect((await deliver(rebalanceRecommendation(INSTANCE))).confirmation).toMatchObject({ status: 'ignored' });
    expect((await deliver({ source: 'aws.ec2' })).confirmation).toMatchObject({ status: 'ignored' });
    expect(dynamodb).not.toHaveBeenCalled();
    await deliver(interruptionWarning(INSTANCE));
    await deliver(interruptionWarning(INSTANCE));
    expect(dynamodb).toHaveBeenCalledOnce();
  });

  it('asks whether a foreign instance is owed a confirmation, and publishes nothing for it', async () => {
    elbTargets(elbv2Mock, INSTANCE, {});
    const { deliver } = setup();

    const { outcome, confirmation } = await deliver(interruptionWarning(INSTANCE));
    expect([outcome.status, confirmation.status]).toEqual(['not-registered', 'not-drained-by-handler']);
    expect(updates()[0]!.ConditionExpression).toMatch(/^attribute_exists\(#pk\) AND /);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });

  it("releases the claim and throws when publishing fails, so Lambda's retry of the record sends it", async () => {
    elbTargets(elbv2Mock, INSTANCE, { [TG_WEB]: 'healthy', [TG_API]: 'healthy' });
    snsMock.on(PublishCommand).rejectsOnce(new Error('topic gone')).resolves({});
    const { drain, confirm, log, metricNames } = setup();
    const event = interruptionWarning(INSTANCE);

    const outcome = await drain(event);
    expect(outcome.status).toBe('deregistered');
    await expect(confirm(successRecord(event, outcome))).rejects.toThrow('topic gone');
    const [claim, release] = updates();
    expect(release).toMatchObject({
      UpdateExpression: 'SET #state = :set REMOVE #lease',
      ConditionExpression: '#owner = :owner AND #state = :sending',
      ExpressionAttributeValues: { ':set': { S: 'released' }, ':owner': claim!.ExpressionAttributeValues![':owner'] },
    });
    expect(log.error).toHaveBeenCalledWith('drain confirmation failed', expect.objectContaining({ instanceId: INSTANCE, outcome: 'failed' }));
    expect(metricNames()).toEqual(['ConfirmationFailed']);
    // Lambda's retry: the same record again.
    expect(await confirm(successRecord(event, outcome))).toMatchObject({ status: 'published' });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 2);
    expect(elbv2Mock).toHaveReceivedCommandTimes(DeregisterTargetsCommand, 1);
  });

  it('throws the publish failure even when the release fails too (the claim lapses at the function deadline)', async () => {
    elbTargets(elbv2Mock, INSTANCE, { [TG_WEB]: 'healthy', [TG_API]: 'healthy' });
    snsMock.on(PublishCommand).rejects(new Error('topic gone'));
    dynamodbMock.on(UpdateItemCommand).callsFakeOnce(claimTaken).rejects(new Error('dynamodb down'));
    const { deliver, log } = setup();

    await expect(deliver(interruptionWarning(INSTANCE))).rejects.toThrow('topic gone');
    expect(log.warn).toHaveBeenCalledWith('confirmation claim not released; it lapses at the function deadline', expect.objectContaining({ instanceId: INSTANCE }));
  });

  it('succeeds when the message is out but marking it sent fails, with a warning', async () => {
    elbTargets(elbv2Mock, INSTANCE, { [TG_WEB]: 'healthy', [TG_API]: 'healthy' });
    dynamodbMock.on(UpdateItemCommand).callsFakeOnce(claimTaken).rejects(new Error('dynamodb down'));
    const { deliver, log } = setup();

    expect((await deliver(interruptionWarning(INSTANCE))).confirmation).toMatchObject({ status: 'published' });
    expect(snsMock).toHaveReceivedCommandOnce(PublishCommand);
    expect(log.warn).toHaveBeenCalledWith('confirmation published but not marked sent', expect.objectContaining({ instanceId: INSTANCE }));
  });

  it('throws when the claim cannot be written, without publishing', async () => {
    elbTargets(elbv2Mock, INSTANCE, { [TG_WEB]: 'healthy', [TG_API]: 'healthy' });
    dynamodbMock.on(UpdateItemCommand).rejects(Object.assign(new Error('AccessDeniedException'), { name: 'AccessDeniedException', $fault: 'client' }));
    const { deliver } = setup();

    await expect(deliver(interruptionWarning(INSTANCE))).rejects.toThrow('AccessDeniedException');
    expect(elbv2Mock).toHaveReceivedCommandOnce(DeregisterTargetsCommand);
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
  });
});

describe('records that are not the handler\'s', () => {
  const deregistered = { status: 'deregistered', eventId: 'e', instanceId: INSTANCE, action: 'terminate', targetGroups: [{ targetGroupArn: TG_WEB, outcome: 'deregistered' }], elapsedMs: 1 };
  const FOREIGN_TG = 'arn:aws:elasticloadbalancing:us-east-1:210987654321:targetgroup/web/0123456789abcdef';

  it.each([
    ['not an object', 'just text', /not a JSON object/],
    ['a failure record', { ...successRecord(interruptionWarning(INSTANCE), deregistered), requestContext: { condition: 'RetriesExhausted' } }, /not a success record \(requestContext.condition: RetriesExhausted\)/],
    ['no outcome', successRecord(interruptionWarning(INSTANCE), null), /responsePayload is not the handler's outcome/],
    ['another instance', successRecord(interruptionWarning('i-0123456789abcdef0'), deregistered), /does not match the event's instance/],
    ['a target group of another stack', successRecord(interruptionWarning(INSTANCE), { ...deregistered, targetGroups: [{ targetGroupArn: FOREIGN_TG, outcome: 'deregistered' }] }), /the handler's target groups/],
    ['a target group that is no ARN', successRecord(interruptionWarning(INSTANCE), { ...deregistered, targetGroups: [{ targetGroupArn: 'tg/web', outcome: 'deregistered' }] }), /the handler's target groups/],
    ['an event that is not a warning', successRecord({ source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification' }, deregistered), /not the warning the handler acted on \(other\)/],
  ])('rejects %s without a call, and throws it so that it ends in the dead-letter queue', async (_what, record, reason) => {
    const { confirm, log, dynamodb, metricNames } = setup();
    await expect(confirm(record)).rejects.toThrow(RejectedRecordError);
    await expect(confirm(record)).rejects.toThrow(reason);
    expect(log.warn).toHaveBeenCalledWith('drain confirmation rejected', expect.objectContaining({ reason: expect.stringMatching(reason) }));
    expect(dynamodb).not.toHaveBeenCalled();
    expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    expect(metricNames()).toEqual(['ConfirmationRejected', 'ConfirmationRejected']);
  });

  it('bounds what it echoes from a record', async () => {
    const { confirm } = setup();
    const error = (await confirm({ requestContext: { condition: 'x'.repeat(10_000) } }).catch((e: unknown) => e)) as Error;
    expect(error.message.length).toBeLessThan(300);
  });
});
