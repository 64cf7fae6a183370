// Operating the stack locally: the template's CloudWatch alarms evaluated against the local cloud's metrics, their
// notifications on the topic, and the notifications a subscriber receives about interruptions.
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { interruptionWarning } from '../../harness/ec2-events.js';
import { OUTPUTS } from '../../infra/spot-web-stack.js';
import { lambdaFunctions } from '../../local/stack-reader.js';
import { waitFor } from '../../harness/wait-for.js';

// 0.05: a one-minute alarm period lasts 3 s, a five-minute one 15 s.
const TIME_SCALE = 0.05;

describe('alarms and notifications (local cloud)', () => {
  let cloud: LocalCloud;
  let cloudwatch: CloudWatchClient;

  /** Alarm states as any AWS client reads them from the local endpoint. */
  async function describeAlarms(): Promise<Map<string, string>> {
    const out = await cloudwatch.send(new DescribeAlarmsCommand({}));
    return new Map((out.MetricAlarms ?? []).map((a) => [a.AlarmName!, a.StateValue!]));
  }

  async function alarmNamed(part: string): Promise<string> {
    const names = [...(await describeAlarms()).keys()].filter((n) => n.includes(part));
    expect(names, `one alarm named *${part}*`).toHaveLength(1);
    return names[0]!;
  }

  async function waitForState(name: string, state: string, timeoutMs: number): Promise<void> {
    await waitFor(`${name} in ${state}`, async () => (await describeAlarms()).get(name) === state, timeoutMs);
  }

  const messages = (): string[] => cloud.notifications.map((n) => n.message);

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, timeScale: TIME_SCALE, workDir: '.local-cloud/e2e-alarms', context: { requestsPerTarget: '1000000' } });
    cloudwatch = new CloudWatchClient({ endpoint: cloud.endpoint, region: cloud.region, credentials: cloud.credentials });
  }, 90_000);
  afterAll(async () => {
    cloudwatch?.destroy();
    await cloud?.close();
  });

  it('deploys every alarm of the template and evaluates it: a healthy stack settles in OK', async () => {
    const states = await describeAlarms();
    expect(states.size).toBe(11);
    await waitFor(
      'every alarm in OK',
      // DescribeAlarms (moto) and the local status are written one after the other: wait for both.
      async () => [...(await describeAlarms()).values()].every((s) => s === 'OK') && cloud.status().alarms.every((a) => a.state === 'OK'),
      30_000,
    );
    expect(cloud.status().alarms.map((a) => a.state)).toEqual(Array(11).fill('OK'));
  }, 40_000);

  it('a message in the dead-letter queue raises the DLQ alarm and notifies the topic; emptying the queue brings it back to OK', async () => {
    const name = await alarmNamed('DeadLetterQueue');
    await waitForState(name, 'OK', 30_000);
    const queueUrl = cloud.outputs.DeadLetterQueueUrl!;
    await cloud.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(interruptionWarning('i-0123456789abcdef0')) }));

    await waitForState(name, 'ALARM', 20_000);
    const alarm = await waitFor('the ALARM notification', () => cloud.notifications.find((n) => n.subject?.startsWith(`ALARM: "${name}"`)), 10_000);
    expect(JSON.parse(alarm.message)).toMatchObject({ AlarmName: name, NewStateValue: 'ALARM', OldStateValue: 'OK' });
    expect(cloud.status().alarms.find((a) => a.name === name)?.state).toBe('ALARM');

    const received = await cloud.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    for (const m of received.Messages ?? []) await cloud.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    await waitForState(name, 'OK', 20_000);
    await waitFor('the OK notification', () => cloud.notifications.find((n) => n.subject?.startsWith(`OK: "${name}"`) && n.receivedAt > new Date(Date.now() - 20_000)), 10_000);
  }, 60_000);

  it('a warning for an instance outside the fleet: the subscriber gets AWS warning as plain text, and no claim of draining', async () => {
    const foreign = 'i-0fedcba9876543210';
    const event = interruptionWarning(foreign);
    await cloud.publish(event);
    const relayed = await waitFor('the rule message', () => messages().find((m) => m.includes(foreign)), 10_000);
    expect(relayed).toBe(
      `AWS Spot interruption warning: instance ${foreign} in ${event.region} will be interrupted about two minutes after ` +
        `${event.time} (instance-action: terminate). This relays the warning AWS sends for any Spot instance in the account; ` +
        'spotweb sends a separate confirmation for each instance it takes out of its load balancer.',
    );
    // The handler's outcome for it is "not-registered": no confirmation follows.
    await new Promise((r) => setTimeout(r, 1500));
    expect(messages().filter((m) => m.includes(foreign))).toEqual([relayed]);
    expect(messages().some((m) => m.startsWith(`spotweb drained Spot instance ${foreign}`))).toBe(false);
  }, 20_000);

  it('the same warning delivered three times yields one confirmation', async () => {
    const instanceId = await waitFor('a healthy target', () => cloud.loadBalancer.targets().find((t) => t.state === 'healthy')?.id, 20_000);
    const event = interruptionWarning(instanceId);
    for (let i = 0; i < 3; i++) await cloud.publish(event);
    const confirmation = `spotweb drained Spot instance ${instanceId}:`;
    await waitFor('the confirmation', () => messages().some((m) => m.startsWith(confirmation)), 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(messages().filter((m) => m.startsWith(confirmation))).toHaveLength(1);
    // AWS's warning is relayed each time it is delivered, as EventBridge would.
    expect(messages().filter((m) => m.startsWith(`AWS Spot interruption warning: instance ${instanceId} `))).toHaveLength(3);
  }, 30_000);

  it('breaking the handler path (ELB down for the Lambda, switched on over HTTP) fires the handler alarm; it recovers when ELB is back', async () => {
    const name = await alarmNamed('Handler-Fault');
    await waitForState(name, 'OK', 30_000);
    // An instance outside the fleet: the handler still calls ELB for it (DeregisterTargets) and meets the outage.
    // A fleet instance would not stay healthy: the alarm can fire on the first failed attempt, and Lambda's retry
    // a (scaled) minute later meets ELB back and drains it, as it should, leaving the next case no target.
    const instanceId = 'i-0aaaabbbbccccdddd';
    const control = `${cloud.endpoint}/_local/faults/elb-outage`;
    expect((await fetch(`${control}?seconds=soon`, { method: 'POST' })).status).toBe(400);
    expect(await (await fetch(`${control}?seconds=3600`, { method: 'POST' })).json()).toEqual({ active: true, injected: 0 });
    try {
      await cloud.publish(interruptionWarning(instanceId));
      // EventBridge hands the event to Lambda's queue (an asynchronous invocation): the handler meets the outage
      // a moment after publish returns.
      await waitFor('the handler to meet the outage', async () => ((await (await fetch(control)).json()) as { injected: number }).injected > 0, 10_000);
      // Errors are summed over five minutes (15 s here); the alarm fires once that period is complete.
      await waitForState(name, 'ALARM', 40_000);
    } finally {
      expect(await (await fetch(control, { method: 'DELETE' })).json()).toMatchObject({ active: false });
    }
    await waitFor('the ALARM notification', () => cloud.notifications.find((n) => n.subject?.startsWith(`ALARM: "${name}"`)), 10_000);
    await waitForState(name, 'OK', 40_000);
  }, 120_000);

  it("a handler record Lambda cannot hand to the drain confirmation fires the DestinationDeliveryFailures alarm: drained, nobody told", async () => {
    const name = await alarmNamed('DestinationDeliveryFailures');
    await waitForState(name, 'OK', 30_000);
    const handler = lambdaFunctions(cloud.deployed, '').find((f) => f.name === cloud.outputs[OUTPUTS.handlerFunctionName])!;
    // One of the two instances is still in service (the duplicate-delivery case drained the other). A health check
    // times out after 200 ms at this time scale: on a loaded machine it may be unhealthy for a moment.
    const instanceId = await waitFor('a healthy target', () => cloud.loadBalancer.targets().find((t) => t.state === 'healthy')?.id, 30_000);
    // The destination names a function that is not there, and that the handler's role may not invoke (its grant names
    // the confirmation only): Lambda's delivery as that role is denied. The handler still drains.
    const gone = `${handler.arn.slice(0, handler.arn.lastIndexOf(':'))}:gone`;
    cloud.putFunctionEventInvokeConfig(handler.name, { ...handler.eventInvokeConfig, onSuccessDestination: gone });
    try {
      const event = interruptionWarning(instanceId);
      await cloud.publish(event);
      const ended = await waitFor('the handler invocation', () => cloud.invocations.find((i) => i.eventId === event.id && i.functionArn === handler.arn), 30_000);
      expect(ended.outcome).toMatchObject({ status: 'succeeded', destinationError: expect.objectContaining({ name: 'AccessDeniedException' }) });
      expect(cloud.loadBalancer.targets().find((t) => t.id === instanceId)?.state).not.toBe('healthy');
      await waitForState(name, 'ALARM', 40_000);
      expect(messages().some((m) => m.startsWith(`spotweb drained Spot instance ${instanceId}:`))).toBe(false);
    } finally {
      cloud.putFunctionEventInvokeConfig(handler.name, handler.eventInvokeConfig);
    }
    await waitForState(name, 'OK', 40_000);
  }, 180_000);
});
