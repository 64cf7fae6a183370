import { describe, expect, it } from 'vitest';
import { alarmDefinition, evaluateAlarm, UnsupportedAlarmError, type AlarmDefinition } from '../../local/cloudwatch/alarm-evaluation.js';
import { alarmNotification, describeNotification } from '../../local/cloudwatch/alarm-notification.js';
import { evaluateExpression, MetricMathError } from '../../local/cloudwatch/metric-math.js';
import { MetricStore, type MetricId } from '../../local/cloudwatch/metric-store.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 30, 2, 0, 0);
const DLQ: MetricId = { namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: 'dlq' } };

function alarm(overrides: Partial<AlarmDefinition> = {}): AlarmDefinition {
  return {
    name: 'test',
    period: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    threshold: 0,
    comparisonOperator: 'GreaterThanThreshold',
    treatMissingData: 'missing',
    source: { kind: 'metric', stat: { metric: DLQ, stat: 'Maximum', period: 60 } },
    ...overrides,
  };
}

function evaluate(store: MetricStore, def: AlarmDefinition, now: number, current: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' = 'OK') {
  return evaluateAlarm(def, (s, start, end) => store.statistic(s.metric, s.stat, start, end), now, current);
}

describe('metric store', () => {
  it('computes statistics per period and reports no data as undefined', () => {
    const store = new MetricStore();
    for (const [at, v] of [[T0 + 1000, 2], [T0 + 20_000, 4], [T0 + 59_999, 0], [T0 + MINUTE, 9]] as const) store.put(DLQ, v, at);
    const stat = (s: 'Sum' | 'Average' | 'Minimum' | 'Maximum' | 'SampleCount') => store.statistic(DLQ, s, T0, T0 + MINUTE);
    expect([stat('Sum'), stat('Average'), stat('Minimum'), stat('Maximum'), stat('SampleCount')]).toEqual([6, 2, 0, 4, 3]);
    expect(store.statistic(DLQ, 'Sum', T0 - MINUTE, T0)).toBeUndefined();
    // Dimension order does not matter, as in CloudWatch.
    const tg = { namespace: 'AWS/ApplicationELB', metricName: 'HealthyHostCount' };
    store.put({ ...tg, dimensions: { TargetGroup: 'tg', LoadBalancer: 'lb' } }, 1, T0);
    expect(store.statistic({ ...tg, dimensions: { LoadBalancer: 'lb', TargetGroup: 'tg' } }, 'Sum', T0, T0 + 1)).toBe(1);
  });
});

describe('alarm evaluation (CloudWatch semantics)', () => {
  it('evaluates the last complete period only: data of the period in progress waits', () => {
    const store = new MetricStore();
    store.put(DLQ, 1, T0 + 10_000);
    expect(evaluate(store, alarm(), T0 + 30_000).state).toBe('INSUFFICIENT_DATA');
    const next = evaluate(store, alarm(), T0 + MINUTE + 1);
    expect(next.state).toBe('ALARM');
    expect(next.reason).toMatch(/^Threshold Crossed: 1 out of the last 1 datapoints \[1 \(30\/11\/26 02:00:00\)\] was greater than the threshold \(0\)/);
  });

  it('needs DatapointsToAlarm of EvaluationPeriods breaching (M of N)', () => {
    const store = new MetricStore();
    const def = alarm({ evaluationPeriods: 3, datapointsToAlarm: 2 });
    for (const [i, v] of [0, 1, 0].entries()) store.put(DLQ, v, T0 + i * MINUTE);
    expect(evaluate(store, def, T0 + 3 * MINUTE).state).toBe('OK');
    store.put(DLQ, 5, T0 + 3 * MINUTE);
    expect(evaluate(store, def, T0 + 4 * MINUTE).state).toBe('ALARM');
  });

  it('treats missing data as configured: missing, notBreaching, breaching, ignore', () => {
    const store = new MetricStore();
    const now = T0 + 2 * MINUTE;
    expect(evaluate(store, alarm({ treatMissingData: 'missing' }), now).state).toBe('INSUFFICIENT_DATA');
    expect(evaluate(store, alarm({ treatMissingData: 'notBreaching' }), now).state).toBe('OK');
    expect(evaluate(store, alarm({ treatMissingData: 'breaching' }), now).state).toBe('ALARM');
    expect(evaluate(store, alarm({ treatMissingData: 'ignore' }), now, 'ALARM').state).toBe('ALARM');
    // With some data, `missing` decides on the datapoints there are.
    store.put(DLQ, 0, T0 + MINUTE);
    expect(evaluate(store, alarm({ treatMissingData: 'missing', evaluationPeriods: 2, datapointsToAlarm: 1 }), now).state).toBe('OK');
  });

  it('evaluates a metric-math alarm (the fleet shortfall) from its named metrics', () => {
    const store = new MetricStore();
    const fleet = { FleetRequestId: 'sfr-1' };
    const target: MetricId = { namespace: 'AWS/EC2Spot', metricName: 'TargetCapacity', dimensions: fleet };
    const fulfilled: MetricId = { namespace: 'AWS/EC2Spot', metricName: 'FulfilledCapacity', dimensions: fleet };
    const def = alarm({
      period: 300,
      source: {
        kind: 'expression',
        expression: 'target - fulfilled',
        metrics: { target: { metric: target, stat: 'Average', period: 300 }, fulfilled: { metric: fulfilled, stat: 'Average', period: 300 } },
      },
    });
    store.put(target, 2, T0);
    store.put(fulfilled, 2, T0);
    expect(evaluate(store, def, T0 + 5 * MINUTE).state).toBe('OK');
    store.put(target, 3, T0 + 5 * MINUTE);
    store.put(fulfilled, 2, T0 + 5 * MINUTE);
    expect(evaluate(store, def, T0 + 10 * MINUTE).state).toBe('ALARM');
  });

  it('reads the template alarm shapes DescribeAlarms returns, and refuses what it cannot play', () => {
    const def = alarmDefinition({
      AlarmName: 'a',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      Metrics: [
        { Id: 'expr_1', Expression: 'target - fulfilled', ReturnData: true },
        { Id: 'target', ReturnData: false, MetricStat: { Metric: { Namespace: 'AWS/EC2Spot', MetricName: 'TargetCapacity', Dimensions: [{ Name: 'FleetRequestId', Value: 'sfr-1' }] }, Stat: 'Average', Period: 300 } },
        { Id: 'fulfilled', ReturnData: false, MetricStat: { Metric: { Namespace: 'AWS/EC2Spot', MetricName: 'FulfilledCapacity', Dimensions: [{ Name: 'FleetRequestId', Value: 'sfr-1' }] }, Stat: 'Average', Period: 300 } },
      ],
    });
    expect(def).toMatchObject({ period: 300, evaluationPeriods: 3, treatMissingData: 'notBreaching', source: { kind: 'expression' } });
    expect(() => alarmDefinition({ AlarmName: 'p', ComparisonOperator: 'GreaterThanThreshold', MetricName: 'Latency', Namespace: 'X', Statistic: 'p99' as never })).toThrow(UnsupportedAlarmError);
    expect(() => alarmDefinition({ AlarmName: 'anomaly', ComparisonOperator: 'LessThanLowerOrGreaterThanUpperThreshold' })).toThrow(UnsupportedAlarmError);
  });
});

describe('metric math', () => {
  it('does arithmetic with precedence and parentheses; a missing operand makes the result missing', () => {
    expect(evaluateExpression('a - b * 2', { a: 10, b: 3 })).toBe(4);
    expect(evaluateExpression('(a - b) * 2', { a: 10, b: 3 })).toBe(14);
    expect(evaluateExpression('-a + 1', { a: 3 })).toBe(-2);
    expect(evaluateExpression('a - b', { a: 1, b: undefined })).toBeUndefined();
    expect(evaluateExpression('a / b', { a: 1, b: 0 })).toBeUndefined();
  });

  it('refuses functions and unknown ids with the expression named', () => {
    expect(() => evaluateExpression('FILL(m1, 0)', { m1: 1 })).toThrow(MetricMathError);
    expect(() => evaluateExpression('a + c', { a: 1 })).toThrow(/"c", which is not a metric/);
    expect(() => evaluateExpression('(a + 1', { a: 1 })).toThrow(/not closed/);
  });
});

describe('alarm notification', () => {
  it("has CloudWatch's subject and JSON fields, and reads as one clean terminal line", () => {
    const { subject, message } = alarmNotification({
      alarmName: 'SpotWeb-DeadLetterQueue',
      alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:SpotWeb-DeadLetterQueue',
      description: 'An event was parked.',
      oldState: 'OK',
      newState: 'ALARM',
      reason: 'Threshold Crossed: 1 datapoint',
      at: T0,
      region: 'us-east-1',
      accountId: '123456789012',
      trigger: { Threshold: 0 },
    });
    expect(subject).toBe('ALARM: "SpotWeb-DeadLetterQueue" in US East (N. Virginia)');
    expect(JSON.parse(message)).toMatchObject({
      AlarmName: 'SpotWeb-DeadLetterQueue',
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      StateChangeTime: '2026-11-30T02:00:00.000+0000',
      Region: 'US East (N. Virginia)',
    });
    expect(describeNotification(message, subject)).toBe('ALARM: "SpotWeb-DeadLetterQueue" in US East (N. Virginia) — Threshold Crossed: 1 datapoint');
    expect(describeNotification('plain\u001b[31m text\n')).toBe('plain[31m text');
  });
});
