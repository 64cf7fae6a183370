// The drain confirmation on the local cloud: once per instance however the event is delivered (several copies at
// the same instant, a publish that fails and Lambda's retry), decided by a conditional write to the stack's DynamoDB
// table (handlers/interruption/confirmations.ts), deployed from the template into moto. The confirmation function is
// the handler's on-success destination: each successful handler invocation hands it a record.
import { GetItemCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { fromLambda, serviceOutage } from '../../local/faults.js';
import { interruptionWarning } from '../../harness/ec2-events.js';
import { OUTPUTS } from '../../infra/spot-web-stack.js';
import { waitFor } from '../../harness/wait-for.js';

// 0.2: Lambda's one-minute wait before retrying a failed invocation lasts 12 s, the function's 60 s timeout 12 s
// and the events' 2-minute maximum age 24 s. At 0.05 (3 s, 3 s, 6 s) five concurrent cold starts on a loaded
// 2-core machine could run out of the function's time and the event its age, which says nothing about the claim.
const TIME_SCALE = 0.2;

describe('drain confirmations (local cloud)', () => {
  let cloud: LocalCloud;
  let tableName: string;

  beforeAll(async () => {
    // One instance per case: an instance is interrupted once, and its claim stays `sent`.
    cloud = await startLocalCloud({ port: 0, timeScale: TIME_SCALE, workDir: '.local-cloud/e2e-confirmations', context: { targetCapacity: '3' } });
    const tables = (await cloud.clients.dynamodb.send(new ListTablesCommand({}))).TableNames ?? [];
    expect(tables.filter((t) => t.includes('Confirmations'))).toHaveLength(1);
    tableName = tables.find((t) => t.includes('Confirmations'))!;
  }, 90_000);
  afterAll(async () => {
    await cloud?.close();
  });

  /** The final outcome of each invocation of the function named by `output` for `eventId` (records carry the event's id). */
  const invocationsOf = (output: string, eventId: string) =>
    cloud.invocations.filter((i) => i.eventId === eventId && i.functionArn.endsWith(`:function:${cloud.outputs[output]}`)).map((i) => i.outcome);
  const confirmationsFor = (instanceId: string) => cloud.notifications.filter((n) => n.message.startsWith(`spotweb drained Spot instance ${instanceId}:`));

  async function aHealthyTarget(): Promise<string> {
    return waitFor('a healthy target', () => cloud.loadBalancer.targets().find((t) => t.state === 'healthy')?.id, 30_000);
  }

  async function claimState(instanceId: string): Promise<string | undefined> {
    const item = await cloud.clients.dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { instanceId: { S: instanceId } }, ConsistentRead: true }));
    return item.Item?.state?.S;
  }

  it('the same warning delivered 5 times at once yields one confirmation', async () => {
    const instanceId = await aHealthyTarget();
    const event = interruptionWarning(instanceId);
    await Promise.all(Array.from({ length: 5 }, () => cloud.publish(event)));

    // Five handler invocations, each handing its record to a confirmation invocation: one of those wins the claim.
    await waitFor('five confirmation invocations ended', () => invocationsOf(OUTPUTS.confirmationFunctionName, event.id).length >= 5, 20_000);
    for (const output of [OUTPUTS.handlerFunctionName, OUTPUTS.confirmationFunctionName]) {
      const outcomes = invocationsOf(output, event.id);
      expect(outcomes, `${output}: ${JSON.stringify(outcomes)}`).toEqual(Array(5).fill({ status: 'succeeded', attempts: 1 }));
    }
    await waitFor('the confirmation', () => confirmationsFor(instanceId).length > 0, 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(confirmationsFor(instanceId)).toHaveLength(1);
    expect(await claimState(instanceId)).toBe('sent');
  }, 60_000);

  it('a publish that fails is released and sent by Lambda\'s retry of the confirmation: exactly one confirmation', async () => {
    const instanceId = await aHealthyTarget();
    // SNS refuses the confirmation's Publish once, with an error no retry inside the invocation can fix (the topic's
    // KMS key disabled for a moment): the confirmation fails, and Lambda retries its record a minute later. The
    // handler's invocation is not repeated: it succeeded when the instance was out of service.
    const fault = serviceOutage({ service: 'sns', actions: ['Publish'], when: fromLambda, count: 1, status: 400, code: 'KMSDisabled' });
    const remove = cloud.gateway.intercept(fault.intercept);
    try {
      const event = interruptionWarning(instanceId);
      await cloud.publish(event);
      await waitFor('the failed publish', () => fault.injected === 1, 10_000);
      expect(confirmationsFor(instanceId)).toHaveLength(0);
      const confirmation = await waitFor('the confirmation invocation to end', () => invocationsOf(OUTPUTS.confirmationFunctionName, event.id)[0], 45_000);
      expect(confirmation).toEqual({ status: 'succeeded', attempts: 2 });
      expect(invocationsOf(OUTPUTS.handlerFunctionName, event.id)).toEqual([{ status: 'succeeded', attempts: 1 }]);
      await waitFor('the confirmation', () => confirmationsFor(instanceId).length > 0, 10_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(confirmationsFor(instanceId)).toHaveLength(1);
      expect(await claimState(instanceId)).toBe('sent');
    } finally {
      remove();
    }
  }, 90_000);
});
