import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REAL_TIME, SimulatedClock } from '../../local/clock.js';
import { LocalEventBus, type RuleDefinition } from '../../local/events/bus.js';

const warning = JSON.parse(readFileSync(new URL('../fixtures/events/spot-interruption-warning.json', import.meta.url), 'utf8'));
const rebalance = JSON.parse(readFileSync(new URL('../fixtures/events/rebalance-recommendation.json', import.meta.url), 'utf8'));
const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:handler';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:topic';
const DLQ = 'arn:aws:sqs:us-east-1:123456789012:dlq';

const rule: RuleDefinition = {
  name: 'warning-rule',
  arn: 'arn:aws:events:us-east-1:123456789012:rule/warning-rule',
  enabled: true,
  eventPattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] },
  targets: [
    { Id: 'fn', Arn: LAMBDA, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 120 }, DeadLetterConfig: { Arn: DLQ } },
    {
      Id: 'topic',
      Arn: TOPIC,
      InputTransformer: { InputPathsMap: { id: '$.detail.instance-id' }, InputTemplate: '"Spot interruption: <id>"' },
    },
  ],
};

function bus(lambda: (input: string) => Promise<void>) {
  const sns: string[] = [];
  const dlq: Array<{ arn: string; body: string; attributes: Record<string, { StringValue?: string }> }> = [];
  const instance = new LocalEventBus({
    rules: [rule],
    clock: new SimulatedClock(0.001),
    deliverers: { lambda: (_arn, input) => lambda(input), sns: async (_arn, input) => void sns.push(input) },
    sendToDeadLetterQueue: async (arn, body, attributes) => void dlq.push({ arn, body, attributes }),
  });
  return { instance, sns, dlq };
}

describe('LocalEventBus', () => {
  it('delivers a matching event to both targets, the topic through its input transformer', async () => {
    const invoked: unknown[] = [];
    const { instance, sns } = bus(async (input) => void invoked.push(JSON.parse(input)));
    const reports = await instance.publish(warning);
    expect(reports.map((r) => r.result.status)).toEqual(['delivered', 'delivered']);
    expect(invoked).toEqual([warning]);
    expect(sns).toEqual(['"Spot interruption: i-1234567890abcdef0"']);
  });

  it('ignores events no rule matches', async () => {
    const { instance, sns } = bus(async () => undefined);
    expect(await instance.publish(rebalance)).toEqual([]);
    expect(sns).toEqual([]);
  });

  it('retries a failing target per its retry policy, then parks the original event in its dead-letter queue', async () => {
    let calls = 0;
    const { instance, dlq } = bus(async () => {
      calls++;
      throw new Error('control plane down');
    });
    const reports = await instance.publish(warning);
    expect(calls).toBe(3);
    expect(reports[0]!.result.status).toBe('dead-lettered');
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.arn).toBe(DLQ);
    expect(JSON.parse(dlq[0]!.body)).toEqual(warning);
    expect(dlq[0]!.attributes.RULE_ARN?.StringValue).toBe(rule.arn);
    expect(dlq[0]!.attributes.ERROR_MESSAGE?.StringValue).toBe('control plane down');
  });

  it('refuses a rule whose target service it cannot deliver to', () => {
    const kinesis = { ...rule, targets: [{ Id: 'k', Arn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s' }] };
    expect(
      () => new LocalEventBus({ rules: [kinesis], clock: REAL_TIME, deliverers: {}, sendToDeadLetterQueue: async () => undefined }),
    ).toThrow(/does not deliver to/);
  });
});
