import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../local/clock.js';
import { LocalEventBus, type RuleDefinition } from '../../local/events/bus.js';
import { deliverWithRetry } from '../../local/events/delivery.js';
import {
  AsyncInvoker,
  lambdaDeadLetterAttributes,
  nextAttempt,
  type AsyncInvocationReport,
  type AttemptResult,
  type EventInvokeConfig,
} from '../../local/lambda/async-invocation.js';

const warning = JSON.parse(readFileSync(new URL('../fixtures/events/spot-interruption-warning.json', import.meta.url), 'utf8'));
const FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:handler';
const DLQ = 'arn:aws:sqs:us-east-1:123456789012:dlq';
const DESTINATION = 'arn:aws:sqs:us-east-1:123456789012:failures';
const STACK_CONFIG: EventInvokeConfig = { maximumRetryAttempts: 2, maximumEventAgeMs: 60 * 60 * 1000 };
const FAILED: AttemptResult = { ok: false, error: { errorType: 'Throttling', errorMessage: 'Rate exceeded' } };

/** Simulated time that moves only when the code under test waits, so minutes of retries run at once. */
function fakeClock() {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    advance: (ms: number) => (now += ms),
  };
}

/** An invoker whose function fails `failures` times (each run lasting `runMs`), recording when each attempt started. */
function invoker(failures: number, config: EventInvokeConfig, options: { deadLetterArn?: string; runMs?: number } = {}) {
  const clock = fakeClock();
  const attemptsAt: number[] = [];
  const sent: Array<{ arn: string; body: string; attributes?: Record<string, { DataType?: string; StringValue?: string }> }> = [];
  const reports: AsyncInvocationReport[] = [];
  const instance = new AsyncInvoker({
    functionArn: FUNCTION,
    config,
    ...(options.deadLetterArn && { deadLetterArn: options.deadLetterArn }),
    sinks: { sendToQueue: async (arn, body, attributes) => void sent.push({ arn, body, ...(attributes && { attributes }) }) },
    run: async () => {
      attemptsAt.push(clock.now());
      clock.advance(options.runMs ?? 0);
      return attemptsAt.length <= failures ? FAILED : { ok: true };
    },
    onOutcome: (report) => reports.push(report),
    clock: new SimulatedClock(1, { now: clock.now }),
    sleep: clock.sleep,
  });
  return { instance, attemptsAt, sent, reports };
}

describe("Lambda's asynchronous invocation (what EventBridge hands a function error to)", () => {
  it('control group: the rule\'s retry policy would retry a function error within seconds; Lambda waits 1 min, then 2 min', async () => {
    // The old local behaviour: a function error treated as a delivery failure, retried under the rule's policy.
    const clock = fakeClock();
    const naiveAttemptsAt: number[] = [];
    await deliverWithRetry(
      async () => {
        naiveAttemptsAt.push(clock.now());
        throw new Error('function error');
      },
      { maximumRetryAttempts: 8, maximumEventAgeMs: 120_000 },
      { clock: new SimulatedClock(1, { now: clock.now, sleep: clock.sleep }), random: () => 0.5 },
    );
    const aws = invoker(Infinity, STACK_CONFIG, { deadLetterArn: DLQ });
    aws.instance.enqueue(warning);
    await aws.instance.idle();

    expect(naiveAttemptsAt.length).toBeGreaterThan(3);
    expect(naiveAttemptsAt[1]).toBeLessThan(5_000);
    expect(aws.attemptsAt).toEqual([0, 60_000, 180_000]);
  });

  it('retries a function error once a minute later and succeeds there', async () => {
    const { instance, attemptsAt, sent, reports } = invoker(1, STACK_CONFIG, { deadLetterArn: DLQ });
    instance.enqueue(warning);
    await instance.idle();

    expect(attemptsAt).toEqual([0, 60_000]);
    expect(sent).toEqual([]);
    expect(reports).toEqual([expect.objectContaining({ eventId: warning.id, outcome: { status: 'succeeded', attempts: 2 } })]);
  });

  it('after MaximumRetryAttempts sends the event as-is to the function DLQ with RequestID, ErrorCode, ErrorMessage', async () => {
    const { instance, sent, reports } = invoker(Infinity, STACK_CONFIG, { deadLetterArn: DLQ });
    const requestId = instance.enqueue(warning);
    await instance.idle();

    expect(sent).toHaveLength(1);
    expect(sent[0]!.arn).toBe(DLQ);
    expect(JSON.parse(sent[0]!.body)).toEqual(warning);
    expect(sent[0]!.attributes).toEqual({
      RequestID: { DataType: 'String', StringValue: requestId },
      ErrorCode: { DataType: 'Number', StringValue: '200' },
      ErrorMessage: { DataType: 'String', StringValue: 'Throttling: Rate exceeded' },
    });
    expect(reports[0]!.outcome).toMatchObject({ status: 'dead-lettered', attempts: 3, condition: 'RetriesExhausted' });
  });

  it('MaximumRetryAttempts 0: one attempt, then the DLQ', async () => {
    const { instance, attemptsAt, sent } = invoker(Infinity, { ...STACK_CONFIG, maximumRetryAttempts: 0 }, { deadLetterArn: DLQ });
    instance.enqueue(warning);
    await instance.idle();
    expect(attemptsAt).toEqual([0]);
    expect(sent).toHaveLength(1);
  });

  it('MaximumEventAgeInSeconds: an event that would be older than the maximum at its retry is discarded to the DLQ', async () => {
    // The stack's setting: two minutes, the warning's life. A first attempt that ran 55 s still gets its retry at
    // 115 s; the second retry would come at 235 s and is not made.
    const { instance, attemptsAt, reports } = invoker(Infinity, { maximumRetryAttempts: 2, maximumEventAgeMs: 120_000 }, { deadLetterArn: DLQ, runMs: 55_000 });
    instance.enqueue(warning);
    await instance.idle();
    expect(attemptsAt).toEqual([0, 115_000]);
    expect(reports[0]!.outcome).toMatchObject({ status: 'dead-lettered', attempts: 2, condition: 'EventAgeExceeded' });
  });

  it('an on-failure destination receives an invocation record', async () => {
    const { instance, sent } = invoker(Infinity, { ...STACK_CONFIG, maximumRetryAttempts: 0, onFailureDestination: DESTINATION });
    const requestId = instance.enqueue(warning);
    await instance.idle();
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!.body)).toMatchObject({
      version: '1.0',
      requestContext: { requestId, functionArn: `${FUNCTION}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 1 },
      requestPayload: warning,
      responseContext: { statusCode: 200, functionError: 'Unhandled' },
      responsePayload: { errorType: 'Throttling', errorMessage: 'Rate exceeded' },
    });
  });

  describe('an on-success destination', () => {
    const CONFIRMER = 'arn:aws:lambda:us-east-1:123456789012:function:confirmer';
    /** A function that succeeds on attempt `failures + 1` with `response`, its records captured. */
    function succeeding(config: EventInvokeConfig, options: { failures?: number; invokeFails?: boolean } = {}) {
      const clock = fakeClock();
      const invoked: Array<{ arn: string; record: any }> = [];
      const queued: Array<{ arn: string; body: string }> = [];
      const reports: AsyncInvocationReport[] = [];
      let attempts = 0;
      const instance = new AsyncInvoker({
        functionArn: FUNCTION,
        config,
        sinks: {
          sendToQueue: async (arn, body) => void queued.push({ arn, body }),
          invokeFunction: async (arn, record) => {
            if (options.invokeFails) throw new Error('ResourceNotFoundException');
            invoked.push({ arn, record });
          },
        },
        run: async () => (++attempts <= (options.failures ?? 0) ? FAILED : { ok: true, result: { status: 'deregistered' } }),
        onOutcome: (r) => reports.push(r),
        clock: new SimulatedClock(1, { now: clock.now }),
        sleep: clock.sleep,
      });
      return { instance, invoked, queued, reports };
    }

    it('control group: without one, a success sends nothing anywhere', async () => {
      const { instance, invoked, queued, reports } = succeeding(STACK_CONFIG);
      instance.enqueue(warning);
      await instance.idle();
      expect(invoked).toEqual([]);
      expect(queued).toEqual([]);
      expect(reports[0]!.outcome).toEqual({ status: 'succeeded', attempts: 1 });
    });

    it('a function destination is invoked with the Success record: the event and the function\'s response', async () => {
      const { instance, invoked, reports } = succeeding({ ...STACK_CONFIG, onSuccessDestination: CONFIRMER }, { failures: 1 });
      const requestId = instance.enqueue(warning);
      await instance.idle();
      expect(invoked).toHaveLength(1);
      expect(invoked[0]!.arn).toBe(CONFIRMER);
      expect(invoked[0]!.record).toEqual({
        version: '1.0',
        timestamp: expect.any(String),
        requestContext: { requestId, functionArn: `${FUNCTION}:$LATEST`, condition: 'Success', approximateInvokeCount: 2 },
        requestPayload: warning,
        responseContext: { statusCode: 200, executedVersion: '$LATEST' },
        responsePayload: { status: 'deregistered' },
      });
      expect(reports[0]!.outcome).toEqual({ status: 'succeeded', attempts: 2 });
    });

    it('a queue destination gets the record as its message body', async () => {
      const { instance, queued } = succeeding({ ...STACK_CONFIG, onSuccessDestination: DESTINATION });
      instance.enqueue(warning);
      await instance.idle();
      expect(queued.map((q) => q.arn)).toEqual([DESTINATION]);
      expect(JSON.parse(queued[0]!.body)).toMatchObject({ requestContext: { condition: 'Success' }, responsePayload: { status: 'deregistered' } });
    });

    it('PutFunctionEventInvokeConfig replaces the configuration: without the destination, the next success sends nothing', async () => {
      const { instance, invoked } = succeeding({ ...STACK_CONFIG, onSuccessDestination: CONFIRMER });
      instance.enqueue(warning);
      await instance.idle();
      instance.putConfig(STACK_CONFIG);
      instance.enqueue(warning);
      await instance.idle();
      expect(invoked).toHaveLength(1);
      expect(() => instance.putConfig({ ...STACK_CONFIG, maximumRetryAttempts: 5 })).toThrow(/MaximumRetryAttempts/);
    });

    it('a record that cannot be delivered leaves the event a success, with the delivery error reported', async () => {
      const { instance, reports } = succeeding({ ...STACK_CONFIG, onSuccessDestination: CONFIRMER }, { invokeFails: true });
      instance.enqueue(warning);
      await instance.idle();
      expect(reports[0]!.outcome).toMatchObject({ status: 'succeeded', attempts: 1, destinationError: expect.objectContaining({ message: 'ResourceNotFoundException' }) });
    });
  });

  /** The outcome of an event whose only attempt fails, with a dead-letter queue and `config`'s sinks behind `sendToQueue`. */
  async function givenUp(config: EventInvokeConfig, sendToQueue: (arn: string) => Promise<void>): Promise<AsyncInvocationReport['outcome']> {
    const reports: AsyncInvocationReport[] = [];
    const clock = fakeClock();
    const instance = new AsyncInvoker({
      functionArn: FUNCTION,
      config: { ...config, maximumRetryAttempts: 0 },
      deadLetterArn: DLQ,
      sinks: { sendToQueue },
      run: async () => FAILED,
      onOutcome: (r) => reports.push(r),
      clock: new SimulatedClock(1, { now: clock.now }),
      sleep: clock.sleep,
    });
    instance.enqueue(warning);
    await instance.idle();
    return reports[0]!.outcome;
  }

  it('reports an event it could not dead-letter as lost', async () => {
    const outcome = await givenUp(STACK_CONFIG, async () => Promise.reject(new Error('SQS is down')));
    expect(outcome).toMatchObject({ status: 'dead-lettered', sinkError: expect.objectContaining({ message: 'SQS is down' }) });
    // Counted as AWS/Lambda DeadLetterErrors, not as a destination failure.
    expect(outcome).toMatchObject({ deadLetterError: expect.objectContaining({ message: 'SQS is down' }) });
    expect(outcome).not.toHaveProperty('destinationError');
  });

  it('an event is lost only when every sink it has failed: a dead-letter queue that failed beside a destination that took it loses nothing', async () => {
    const run = (destinationUp: boolean) =>
      givenUp({ ...STACK_CONFIG, onFailureDestination: DESTINATION }, async (arn) =>
        arn === DESTINATION && destinationUp ? undefined : Promise.reject(new Error(`${arn} is down`)),
      );
    const oneUp = await run(true);
    expect(oneUp).toMatchObject({ deadLetterError: expect.objectContaining({ message: `${DLQ} is down` }) });
    expect(oneUp).not.toHaveProperty('destinationError');
    expect(oneUp).not.toHaveProperty('sinkError');
    // The control: both down, the event is lost.
    expect(await run(false)).toMatchObject({ sinkError: expect.any(Error), deadLetterError: expect.any(Error), destinationError: expect.any(Error) });
  });

  it('validates the configuration as Lambda does', () => {
    const make = (config: EventInvokeConfig) => () => invoker(0, config);
    expect(make({ maximumRetryAttempts: 3, maximumEventAgeMs: 60_000 })).toThrow(/MaximumRetryAttempts must be an integer from 0 to 2/);
    expect(make({ maximumRetryAttempts: 2, maximumEventAgeMs: 59_000 })).toThrow(/MaximumEventAgeInSeconds must be from 60 to 21600/);
    expect(make({ ...STACK_CONFIG, onFailureDestination: 'arn:aws:sns:us-east-1:123456789012:t' })).toThrow(/SQS queue and Lambda function destinations only/);
    expect(make({ ...STACK_CONFIG, onSuccessDestination: 'arn:aws:events:us-east-1:123456789012:event-bus/b' })).toThrow(/on-success destination/);
  });

  it('cuts ErrorMessage to 1 KB on a character boundary', () => {
    const attributes = lambdaDeadLetterAttributes('r', { errorType: 'E', errorMessage: 'é'.repeat(2000) });
    const message = attributes.ErrorMessage!.StringValue!;
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(1024);
    expect(message).not.toContain('\uFFFD');
  });

  it('nextAttempt: 60 s, then 120 s, then stop', () => {
    expect(nextAttempt(1, 0, STACK_CONFIG)).toBe(60_000);
    expect(nextAttempt(2, 60_000, STACK_CONFIG)).toBe(120_000);
    expect(nextAttempt(3, 180_000, STACK_CONFIG)).toBe('RetriesExhausted');
  });
});

describe('EventBridge in front of it: only delivery failures are the rule\'s', () => {
  const rule: RuleDefinition = {
    name: 'warning-rule',
    arn: 'arn:aws:events:us-east-1:123456789012:rule/warning-rule',
    enabled: true,
    eventPattern: { source: ['aws.ec2'] },
    targets: [{ Id: 'fn', Arn: FUNCTION, RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 120 }, DeadLetterConfig: { Arn: DLQ } }],
  };

  it('a missing permission is not retried: straight to the rule DLQ with NO_PERMISSIONS and RETRY_ATTEMPTS 0', async () => {
    const dlq: Array<Record<string, { StringValue?: string }>> = [];
    let calls = 0;
    const bus = new LocalEventBus({
      rules: [rule],
      clock: new SimulatedClock(0.001),
      deliverers: {
        lambda: async () => {
          calls++;
          throw Object.assign(new Error('events.amazonaws.com is not authorized'), { name: 'AccessDeniedException' });
        },
      },
      sendToDeadLetterQueue: async (_arn, _body, attributes) => void dlq.push(attributes),
    });
    const [report] = await bus.publish(warning);
    expect(calls).toBe(1);
    expect(report!.result.status).toBe('dead-lettered');
    expect(dlq[0]).toMatchObject({ ERROR_CODE: { StringValue: 'NO_PERMISSIONS' }, RETRY_ATTEMPTS: { StringValue: '0' }, RULE_ARN: { StringValue: rule.arn } });
    expect(dlq[0]!.EXHAUSTED_RETRY_CONDITION).toBeUndefined();
  });

  it('a throttled invoke is retried under the rule\'s policy', async () => {
    let calls = 0;
    const bus = new LocalEventBus({
      rules: [rule],
      clock: new SimulatedClock(0.01),
      deliverers: {
        lambda: async () => {
          if (++calls < 3) throw Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
        },
      },
      sendToDeadLetterQueue: async () => undefined,
    });
    const [report] = await bus.publish(warning);
    expect(report!.result).toEqual({ status: 'delivered', attempts: 3 });
  });
});
