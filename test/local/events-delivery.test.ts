import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DeadLetterFailedError,
  deadLetterMessageAttributes,
  deliverWithRetry,
  type DeliveryFailure,
  type DeliveryOptions,
} from '../../local/events/delivery.js';
import { SimulatedClock } from '../../local/clock.js';

const HOUR = 60 * 60 * 1000;

/** A clock that only moves when the code under test sleeps, so retries over hours run instantly. */
function fakeClock(scale = 1) {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    options: {
      clock: new SimulatedClock(scale, {
        now: () => now,
        sleep: async (ms: number) => {
          sleeps.push(ms);
          now += ms;
        },
      }),
      random: () => 0.5,
    } satisfies Partial<DeliveryOptions>,
  };
}

/** A target that fails `failures` times, then succeeds. */
function flakyTarget(failures: number) {
  let calls = 0;
  return {
    get calls() { return calls; },
    deliver: async () => {
      calls++;
      if (calls <= failures) throw new Error(`failure ${calls}`);
    },
  };
}

function recordingDeadLetter() {
  const received: Array<{ err: unknown; failure: DeliveryFailure }> = [];
  return { received, deadLetter: async (err: unknown, failure: DeliveryFailure) => { received.push({ err, failure }); } };
}

describe('deliverWithRetry', () => {
  it('delivers at once when the target works', async () => {
    const target = flakyTarget(0);
    const clock = fakeClock();
    expect(await deliverWithRetry(target.deliver, undefined, clock.options)).toEqual({ status: 'delivered', attempts: 1 });
    expect(clock.sleeps).toEqual([]);
  });

  it('retries with growing jittered delays until the target recovers', async () => {
    const target = flakyTarget(3);
    const clock = fakeClock();
    const retries: number[] = [];
    const result = await deliverWithRetry(target.deliver, { maximumRetryAttempts: 5, maximumEventAgeMs: HOUR }, {
      ...clock.options,
      backoff: { baseMs: 100, capMs: 300 },
      onRetry: (attempt) => retries.push(attempt),
    });
    expect(result).toEqual({ status: 'delivered', attempts: 4 });
    expect(retries).toEqual([1, 2, 3]);
    expect(clock.sleeps).toEqual([50, 100, 150]);
  });

  it('dead-letters after MaximumRetryAttempts retries', async () => {
    const target = flakyTarget(Infinity);
    const dlq = recordingDeadLetter();
    const result = await deliverWithRetry(target.deliver, { maximumRetryAttempts: 2, maximumEventAgeMs: HOUR }, {
      ...fakeClock().options,
      deadLetter: dlq.deadLetter,
    });
    expect(target.calls).toBe(3);
    expect(result).toMatchObject({ status: 'dead-lettered', attempts: 3, retryAttempts: 2, exhaustedRetryCondition: 'MaximumRetryAttempts' });
    expect(dlq.received).toHaveLength(1);
    expect((dlq.received[0]!.err as Error).message).toBe('failure 3');
  });

  it('makes a single attempt with zero retries', async () => {
    const target = flakyTarget(Infinity);
    const result = await deliverWithRetry(target.deliver, { maximumRetryAttempts: 0, maximumEventAgeMs: HOUR }, fakeClock().options);
    expect(target.calls).toBe(1);
    expect(result).toMatchObject({ status: 'dropped', attempts: 1, exhaustedRetryCondition: 'MaximumRetryAttempts' });
  });

  it('stops when the next retry would pass MaximumEventAge', async () => {
    const target = flakyTarget(Infinity);
    const clock = fakeClock();
    const dlq = recordingDeadLetter();
    const result = await deliverWithRetry(target.deliver, { maximumRetryAttempts: 185, maximumEventAgeMs: 60_000 }, {
      ...clock.options,
      backoff: { baseMs: 10_000, capMs: 20_000 },
      deadLetter: dlq.deadLetter,
    });
    // Delays 5 s, 10 s, then 10 s each (random 0.5 of the bound): 5 + 10 × 5 = 55 s, one more would pass 60 s.
    expect(clock.sleeps).toEqual([5_000, 10_000, 10_000, 10_000, 10_000, 10_000]);
    expect(result).toMatchObject({ status: 'dead-lettered', attempts: 7, exhaustedRetryCondition: 'MaximumEventAgeInSeconds' });
  });

  it('counts event age in simulated time when timeScale shrinks the waits', async () => {
    const clock = fakeClock(0.001);
    const result = await deliverWithRetry(flakyTarget(Infinity).deliver, { maximumRetryAttempts: 185, maximumEventAgeMs: 2 * HOUR }, {
      ...clock.options,
      backoff: { baseMs: HOUR, capMs: HOUR },
    });
    // Each wait is half an hour simulated, 1.8 s real: four fit in two simulated hours.
    expect(clock.sleeps).toEqual([1_800, 1_800, 1_800, 1_800]);
    expect(result).toMatchObject({ attempts: 5, exhaustedRetryCondition: 'MaximumEventAgeInSeconds' });
  });

  it('starts counting from an initial event age', async () => {
    const result = await deliverWithRetry(flakyTarget(Infinity).deliver, { maximumRetryAttempts: 185, maximumEventAgeMs: HOUR }, {
      ...fakeClock().options,
      initialAgeMs: HOUR - 100,
      backoff: { baseMs: 1_000, capMs: 1_000 },
    });
    expect(result).toMatchObject({ attempts: 1, exhaustedRetryCondition: 'MaximumEventAgeInSeconds' });
  });

  it('sends errors that are not retryable straight to the dead-letter queue', async () => {
    const target = flakyTarget(Infinity);
    const dlq = recordingDeadLetter();
    const result = await deliverWithRetry(target.deliver, undefined, { ...fakeClock().options, isRetryable: () => false, deadLetter: dlq.deadLetter });
    expect(target.calls).toBe(1);
    expect(result).toMatchObject({ status: 'dead-lettered', attempts: 1, retryAttempts: 0 });
    expect(result).not.toHaveProperty('exhaustedRetryCondition');
    expect(dlq.received[0]!.failure).toEqual({ attempts: 1, retryAttempts: 0 });
  });

  it('raises both errors when the dead-letter send fails', async () => {
    const failing = deliverWithRetry(flakyTarget(Infinity).deliver, { maximumRetryAttempts: 1, maximumEventAgeMs: HOUR }, {
      ...fakeClock().options,
      deadLetter: async () => { throw new Error('queue does not exist'); },
    });
    await expect(failing).rejects.toThrow(DeadLetterFailedError);
    await expect(failing).rejects.toThrow(/Event LOST: delivery failed after 2 attempt\(s\) \(failure 2\).*\(queue does not exist\)/);
    const err = (await failing.then(() => undefined, (e: unknown) => e)) as DeadLetterFailedError;
    expect((err.deliveryError as Error).message).toBe('failure 2');
    expect((err.deadLetterError as Error).message).toBe('queue does not exist');
  });

  it('waits for real with the default sleep, scaled down', async () => {
    const started = Date.now();
    const result = await deliverWithRetry(flakyTarget(2).deliver, { maximumRetryAttempts: 3, maximumEventAgeMs: HOUR }, {
      clock: new SimulatedClock(0.01),
      backoff: { baseMs: 1_000, capMs: 1_000 },
      random: () => 1,
    });
    expect(result).toEqual({ status: 'delivered', attempts: 3 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(18);
  });

  it.each([
    [{ maximumRetryAttempts: 186, maximumEventAgeMs: HOUR }],
    [{ maximumRetryAttempts: -1, maximumEventAgeMs: HOUR }],
    [{ maximumRetryAttempts: 1.5, maximumEventAgeMs: HOUR }],
    [{ maximumRetryAttempts: 1, maximumEventAgeMs: 59_999 }],
    [{ maximumRetryAttempts: 1, maximumEventAgeMs: 25 * HOUR }],
  ])('rejects the policy %j', async (policy) => {
    await expect(deliverWithRetry(async () => {}, policy)).rejects.toThrow(RangeError);
  });
});

describe('backoffDelay', () => {
  it('doubles its bound per retry up to the cap', () => {
    const bounds = [0, 1, 2, 3, 4].map((retry) => backoffDelay(retry, { baseMs: 100, capMs: 500 }, () => 1));
    expect(bounds).toEqual([100, 200, 400, 500, 500]);
    expect(backoffDelay(3, { baseMs: 100, capMs: 500 }, () => 0)).toBe(0);
  });
});

describe('deadLetterMessageAttributes', () => {
  const base = {
    ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/spot',
    targetArn: 'arn:aws:lambda:us-east-1:123456789012:function:drain',
    errorCode: 'ERROR_FROM_TARGET',
    errorMessage: 'boom',
  };

  it('carries the attributes AWS documents, as SQS string attributes', () => {
    expect(deadLetterMessageAttributes({ ...base, attempts: 3, retryAttempts: 2, exhaustedRetryCondition: 'MaximumRetryAttempts' })).toEqual({
      RULE_ARN: { DataType: 'String', StringValue: base.ruleArn },
      TARGET_ARN: { DataType: 'String', StringValue: base.targetArn },
      ERROR_CODE: { DataType: 'String', StringValue: 'ERROR_FROM_TARGET' },
      ERROR_MESSAGE: { DataType: 'String', StringValue: 'boom' },
      RETRY_ATTEMPTS: { DataType: 'String', StringValue: '2' },
      EXHAUSTED_RETRY_CONDITION: { DataType: 'String', StringValue: 'MaximumRetryAttempts' },
    });
  });

  it('leaves EXHAUSTED_RETRY_CONDITION out when no limit was reached, and never sends an empty value', () => {
    const attributes = deadLetterMessageAttributes({ ...base, errorMessage: '', attempts: 1, retryAttempts: 0 });
    expect(attributes).not.toHaveProperty('EXHAUSTED_RETRY_CONDITION');
    expect(attributes['ERROR_MESSAGE']!.StringValue).toBe('(no message)');
    expect(() => deadLetterMessageAttributes({ ...base, ruleArn: '', attempts: 1, retryAttempts: 0 })).toThrow(/RULE_ARN/);
  });
});
