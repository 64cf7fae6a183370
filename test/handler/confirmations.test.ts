// The drain-confirmation claim (handlers/interruption/confirmations.ts) on moto's DynamoDB: its conditional writes
// are the whole mechanism, so they are tested against a real implementation of DynamoDB's condition expressions,
// not against mocks. The handler-level tests mock only ELB, with AWS's documented DeregisterTargets semantics
// (a second deregistration of the same target succeeds), which moto does not reproduce.
import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DeregisterTargetsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { dynamoDbConfirmations, type ClaimRequest, type DrainConfirmations } from '../../handlers/interruption/confirmations.js';
import { createConfirmationHandler } from '../../handlers/interruption/confirmation-handler.js';
import { createHandler } from '../../handlers/interruption/handler.js';
import { createConfirmationTable } from '../../harness/confirmation-table.js';
import { interruptionWarning } from '../../harness/ec2-events.js';
import { successRecord } from '../../harness/invocation-record.js';
import { motoClientConfig, startMoto, type MotoServer } from '../../local/moto-server.js';
import { elbTargets } from '../support/elb-target.js';

const TG_WEB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:spotweb-interruptions';

let moto: MotoServer;
let dynamodb: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  moto = await startMoto();
  dynamodb = new DynamoDBClient(motoClientConfig(moto.endpoint));
}, 30_000);
afterAll(async () => {
  dynamodb?.destroy();
  await moto?.stop();
});

/** A fresh table per test, so no test sees another's records. */
async function freshStore(): Promise<{ store: DrainConfirmations; tableName: string }> {
  const tableName = await createConfirmationTable(dynamodb, `confirmations-${++tables}`);
  return { store: dynamoDbConfirmations(tableName, () => dynamodb), tableName };
}

const INSTANCE = 'i-0b662ef9931388ba0';
const request = (overrides: Partial<ClaimRequest> = {}): ClaimRequest => ({
  instanceId: INSTANCE,
  basis: 'deregistered',
  owner: 'delivery-a',
  leaseExpiresAt: Date.now() + 60_000,
  targetGroupArns: [TG_WEB],
  eventId: 'event-1',
  ...overrides,
});

describe('the claim store on DynamoDB (moto)', () => {
  it('gives the first deregistering delivery the claim, and refuses the next one while it is sending', async () => {
    const { store, tableName } = await freshStore();
    expect(await store.claim(request())).toEqual({ claimed: true, targetGroupArns: [TG_WEB] });
    expect(await store.claim(request({ owner: 'delivery-b' }))).toEqual({ claimed: false, state: 'sending' });
    const item = (await dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { instanceId: { S: INSTANCE } } }))).Item!;
    expect(item).toMatchObject({ state: { S: 'sending' }, owner: { S: 'delivery-a' }, eventId: { S: 'event-1' } });
    // TTL a day out, in epoch seconds as DynamoDB's TTL reads it.
    expect(Number(item.expiresAt!.N) - Date.now() / 1000).toBeGreaterThan(86_000);
  });

  it('gives the claim back to its own holder when a retry of the same claim finds its first attempt landed', async () => {
    const { store } = await freshStore();
    expect(await store.claim(request())).toEqual({ claimed: true, targetGroupArns: [TG_WEB] });
    // The answer to the first UpdateItem was lost (a timeout); the SDK or the handler's budget sends it again.
    expect(await store.claim(request())).toEqual({ claimed: true, targetGroupArns: [TG_WEB] });
    expect(await store.claim(request({ owner: 'delivery-b' }))).toEqual({ claimed: false, state: 'sending' });
  });

  it('refuses every delivery once sent, whatever it found', async () => {
    const { store } = await freshStore();
    await store.claim(request());
    await store.markSent(INSTANCE, 'delivery-a');
    expect(await store.claim(request({ owner: 'b' }))).toEqual({ claimed: false, state: 'sent' });
    expect(await store.claim(request({ owner: 'c', basis: 'resume', targetGroupArns: [] }))).toEqual({ claimed: false, state: 'sent' });
  });

  it('after a release, the retry (which did not deregister) resumes the claim and learns the target groups drained before', async () => {
    const { store } = await freshStore();
    await store.claim(request());
    await store.release(INSTANCE, 'delivery-a');
    expect(await store.claim(request({ owner: 'retry', basis: 'resume', targetGroupArns: [] }))).toEqual({
      claimed: true,
      targetGroupArns: [TG_WEB],
    });
  });

  it('gives a resuming delivery no claim when nothing of ours drained the instance (a foreign one)', async () => {
    const { store } = await freshStore();
    expect(await store.claim(request({ basis: 'resume', targetGroupArns: [] }))).toEqual({ claimed: false, state: undefined });
  });

  it('lets a claim whose holder died (lease over, never released) be taken over', async () => {
    const { store } = await freshStore();
    await store.claim(request({ leaseExpiresAt: Date.now() - 1 }));
    expect(await store.claim(request({ owner: 'retry', basis: 'resume', targetGroupArns: [] }))).toMatchObject({ claimed: true });
  });

  it('ignores a mark or release from a delivery that no longer holds the claim', async () => {
    const { store } = await freshStore();
    await store.claim(request({ leaseExpiresAt: Date.now() - 1 }));
    await store.claim(request({ owner: 'successor' }));
    await store.release(INSTANCE, 'delivery-a');
    await store.markSent(INSTANCE, 'delivery-a');
    expect(await store.claim(request({ owner: 'third' }))).toEqual({ claimed: false, state: 'sending' });
  });

  it('gives exactly one of 10 concurrent deregistering deliveries the claim, for each of 20 instances', async () => {
    const { store } = await freshStore();
    const instances = Array.from({ length: 20 }, (_, n) => `i-0${n.toString(16).padStart(16, '0')}`);
    const results = await Promise.all(
      instances.map(async (instanceId) => {
        const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => store.claim(request({ instanceId, owner: `delivery-${i}` }))));
        return claims.filter((c) => c.claimed).length;
      }),
    );
    expect(results).toEqual(Array(20).fill(1));
  });
});

describe('the handler under duplicate deliveries, with AWS DeregisterTargets semantics (control group: target health alone)', () => {
  const elbv2Mock = mockClient(ElasticLoadBalancingV2Client);
  const snsMock = mockClient(SNSClient);
  beforeEach(() => {
    elbv2Mock.reset();
    snsMock.reset();
  });

  /** The dedupe before the claim: confirm whenever this delivery's own DeregisterTargets succeeded. */
  const targetHealthOnly: DrainConfirmations = {
    claim: async (r) => (r.basis === 'deregistered' ? { claimed: true, targetGroupArns: r.targetGroupArns } : { claimed: false, state: undefined }),
    markSent: async () => {},
    release: async () => {},
  };

  const quiet = () => ({
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
    retry: { budgetWithoutContextMs: 0 },
  });
  /** The confirmation function over `confirmations`, fed what Lambda feeds it: the handler's success record. */
  function confirmationWith(confirmations: DrainConfirmations) {
    const confirm = createConfirmationHandler({
      config: { targetGroupArns: [TG_WEB], topicArn: TOPIC, confirmationTableName: 'unused-here', deregistrationDelaySeconds: 120 },
      sns: new SNSClient({ region: 'us-east-1' }),
      confirmations,
      ...quiet(),
    });
    return (event: unknown, outcome: unknown) =>
      confirm(successRecord(event, outcome));
  }
  /** One delivery: the handler's invocation, then the confirmation's with its record. */
  function handlerWith(confirmations: DrainConfirmations) {
    const drain = createHandler({ config: { targetGroupArns: [TG_WEB], drainOnRebalance: false }, elbv2: new ElasticLoadBalancingV2Client({ region: 'us-east-1' }), ...quiet() });
    const confirm = confirmationWith(confirmations);
    return async (event: unknown) => {
      const outcome = await drain(event);
      return { status: outcome.status, confirmation: (await confirm(event, outcome)).status };
    };
  }

  /**
   * Five deliveries of one event processed at the same instant: each DeregisterTargets succeeds (AWS: "If the specified
   * target does not exist, the action returns successfully") and each then finds the target draining.
   */
  async function fiveAtOnce(confirmations: DrainConfirmations) {
    elbTargets(elbv2Mock, INSTANCE, { [TG_WEB]: 'healthy' });
    snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
    const handler = handlerWith(confirmations);
    const event = interruptionWarning(INSTANCE);
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    try {
      return await Promise.all(Array.from({ length: 5 }, () => handler(structuredClone(event))));
    } finally {
      vi.unstubAllEnvs();
    }
  }

  it('confirms once with the claim, where target health alone confirms five times', async () => {
    const control = await fiveAtOnce(targetHealthOnly);
    expect(control.map((o) => o.status)).toEqual(Array(5).fill('deregistered'));
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 5);

    snsMock.reset();
    elbv2Mock.reset();
    const { store } = await freshStore();
    const outcomes = await fiveAtOnce(store);
    expect(outcomes.map((o) => o.status)).toEqual(Array(5).fill('deregistered'));
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    const confirmations = outcomes.map((o) => o.confirmation);
    expect(confirmations.filter((c) => c === 'published')).toHaveLength(1);
    // The others found the claim taken: still being sent, or sent already if they came that late.
    expect(confirmations.filter((c) => c !== 'published').every((c) => c === 'sending-elsewhere' || c === 'sent-earlier')).toBe(true);
  });

  it("a publish that fails is sent by Lambda's retry of the confirmation record (the claim released, not lost)", async () => {
    elbTargets(elbv2Mock, INSTANCE, { [TG_WEB]: 'healthy' });
    snsMock.on(PublishCommand).rejectsOnce(Object.assign(new Error('Internal error'), { name: 'InternalError', $fault: 'server' })).resolves({});
    const event = interruptionWarning(INSTANCE);
    const outcome = await createHandler({ config: { targetGroupArns: [TG_WEB], drainOnRebalance: false }, elbv2: new ElasticLoadBalancingV2Client({ region: 'us-east-1' }), ...quiet() })(event);
    const { store } = await freshStore();
    const confirm = confirmationWith(store);
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    try {
      await expect(confirm(structuredClone(event), outcome)).rejects.toThrow('Internal error');
      // Lambda's asynchronous retry of the record, a minute later: the handler is not run again.
      expect(await confirm(structuredClone(event), outcome)).toMatchObject({ status: 'published' });
      // A later duplicate of the record finds it sent.
      expect(await confirm(structuredClone(event), outcome)).toMatchObject({ status: 'sent-earlier' });
      expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 2); // the failed attempt, then the retry's
      expect(snsMock.commandCalls(PublishCommand)[1]!.args[0].input.Message).toContain(`deregistered from tg/web after AWS's interruption warning`);
      expect(elbv2Mock).toHaveReceivedCommandTimes(DeregisterTargetsCommand, 1);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
