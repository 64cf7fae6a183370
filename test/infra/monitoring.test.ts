import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../infra/config.js';
import { synthesize } from '../support/synth.js';

type Resource = { Properties: Record<string, any> };

function alarms(template: Template): Resource[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
}

/** The alarm watching `metricName` (its one MetricStat query, or one of its expression's metrics). */
function alarmOn(template: Template, metricName: string): Resource {
  const found = alarms(template).filter((a) => (a.Properties.Metrics ?? []).some((m: any) => m.MetricStat?.Metric?.MetricName === metricName));
  expect(found, `one alarm on ${metricName}`).toHaveLength(1);
  return found[0]!;
}

function logicalIdOf(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  expect(ids, type).toHaveLength(1);
  return ids[0]!;
}

describe('alarms and dashboard (defaults)', () => {
  let template: Template;
  let topicRef: { Ref: string };
  beforeAll(() => {
    template = synthesize().template;
    topicRef = { Ref: logicalIdOf(template, 'AWS::SNS::Topic') };
  }, 240_000);

  it('has eleven alarms, each notifying the interruption topic on ALARM and on OK', () => {
    expect(alarms(template)).toHaveLength(11);
    for (const a of alarms(template)) {
      expect(a.Properties.ActionsEnabled).toBe(true);
      expect(a.Properties.AlarmActions).toEqual([topicRef]);
      expect(a.Properties.OKActions).toEqual([topicRef]);
      expect(a.Properties.AlarmDescription).toEqual(expect.any(String));
    }
  });

  it('any message in the dead-letter queue', () => {
    const dlq = logicalIdOf(template, 'AWS::SQS::Queue');
    const a = alarmOn(template, 'ApproximateNumberOfMessagesVisible');
    expect(a.Properties).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0, EvaluationPeriods: 1 });
    expect(a.Properties.Metrics[0].MetricStat).toMatchObject({
      Metric: { Namespace: 'AWS/SQS', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }] },
      Stat: 'Maximum',
    });
  });

  it('Errors of the handler and of its drain confirmation, the rule FailedInvocations, and target health', () => {
    const functions = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => id.startsWith('InterruptionsHandler'));
    expect(functions).toHaveLength(2);
    const rule = logicalIdOf(template, 'AWS::Events::Rule');
    const errors = alarms(template).filter((a) => a.Properties.Metrics.some((m: any) => m.MetricStat?.Metric?.MetricName === 'Errors'));
    expect(errors.map((a) => a.Properties.Metrics[0].MetricStat.Metric.Dimensions[0].Value.Ref).sort()).toEqual(functions.sort());
    for (const a of errors) {
      expect(a.Properties).toMatchObject({
        Threshold: 0,
        TreatMissingData: 'notBreaching',
        Metrics: [{ MetricStat: { Metric: { Namespace: 'AWS/Lambda', Dimensions: [{ Name: 'FunctionName' }] }, Stat: 'Sum', Period: 300 } }],
      });
    }
    const handler = functions.find((id) => !id.includes('Confirmation'));
    expect(alarmOn(template, 'DestinationDeliveryFailures').Properties).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
      Metrics: [{ MetricStat: { Metric: { Namespace: 'AWS/Lambda', Dimensions: [{ Name: 'FunctionName', Value: { Ref: handler } }] }, Stat: 'Sum', Period: 300 } }],
    });
    // A failed event Lambda could not dead-letter is lost: one alarm per function.
    const deadLetterErrors = alarms(template).filter((a) => a.Properties.Metrics.some((m: any) => m.MetricStat?.Metric?.MetricName === 'DeadLetterErrors'));
    expect(deadLetterErrors.map((a) => a.Properties.Metrics[0].MetricStat.Metric.Dimensions[0].Value.Ref).sort()).toEqual([...functions].sort());
    for (const a of deadLetterErrors) expect(a.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    expect(alarmOn(template, 'FailedInvocations').Properties).toMatchObject({
      Threshold: 0,
      Metrics: [{ MetricStat: { Metric: { Namespace: 'AWS/Events', Dimensions: [{ Name: 'RuleName', Value: { Ref: rule } }] }, Stat: 'Sum' } }],
    });
    expect(alarmOn(template, 'HealthyHostCount').Properties).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Metrics: [{ MetricStat: { Stat: 'Minimum', Period: 60 } }],
    });
    expect(alarmOn(template, 'UnHealthyHostCount').Properties).toMatchObject({ Threshold: 0, EvaluationPeriods: 5, DatapointsToAlarm: 5 });
    expect(alarmOn(template, 'HTTPCode_ELB_5XX_Count').Properties).toMatchObject({ Threshold: 5, Metrics: [{ MetricStat: { Stat: 'Sum', Period: 60 } }] });
  });

  it('fleet fulfilled capacity below target for 15 minutes (AWS/EC2Spot per fleet request)', () => {
    const fleet = logicalIdOf(template, 'AWS::EC2::SpotFleet');
    const a = alarmOn(template, 'FulfilledCapacity');
    expect(a.Properties).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0, EvaluationPeriods: 3, DatapointsToAlarm: 3 });
    const expression = a.Properties.Metrics.find((m: any) => m.Expression);
    expect(expression).toMatchObject({ Expression: 'target - fulfilled', ReturnData: true });
    const target = a.Properties.Metrics.find((m: any) => m.Id === 'target');
    expect(target.MetricStat).toMatchObject({
      Metric: { Namespace: 'AWS/EC2Spot', MetricName: 'TargetCapacity', Dimensions: [{ Name: 'FleetRequestId', Value: { Ref: fleet } }] },
      Period: 300,
    });
  });

  it('has one dashboard showing requests, 5xx, targets, capacity, rule deliveries, handler outcomes and the DLQ', () => {
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
    expect(dashboard).toHaveLength(1);
    const body = JSON.stringify(dashboard[0]!.Properties.DashboardBody);
    for (const metric of ['RequestCount', 'HTTPCode_ELB_5XX_Count', 'HealthyHostCount', 'UnHealthyHostCount', 'TargetCapacity', 'FulfilledCapacity', 'FailedInvocations', 'Deregistered', 'NotRegistered', 'ConfirmationPublished', 'ConfirmationFailed', 'Errors', 'ApproximateNumberOfMessagesVisible']) {
      expect(body, metric).toContain(metric);
    }
  });

  it("relays AWS's warning to the topic as an unquoted plain-text template naming instance, action, time and region", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: Match.arrayWith([
        Match.objectLike({
          Arn: topicRef,
          InputTransformer: {
            InputPathsMap: { instance: '$.detail.instance-id', action: '$.detail.instance-action', time: '$.time', region: '$.region' },
            InputTemplate: Match.stringLikeRegexp('^AWS Spot interruption warning: instance <instance> in <region> .* <time> \\(instance-action: <action>\\)'),
          },
        }),
      ]),
    });
    const rule = Object.values(template.findResources('AWS::Events::Rule'))[0] as Resource;
    const snsTarget = rule.Properties.Targets.find((t: any) => t.InputTransformer);
    expect(snsTarget.InputTransformer.InputTemplate).not.toMatch(/^"|draining it/);
  });
});

describe('alarm thresholds are configuration', () => {
  it('takes thresholds from context and adds a FailedInvocations alarm for the rebalance rule', { timeout: 240_000 }, () => {
    const { template } = synthesize({ alarmElb5xxPerMinute: '20', alarmNoHealthyTargetMinutes: '4', alarmCapacityShortfallMinutes: '30', drainOnRebalance: 'true', capacityRebalance: 'true' });
    expect(alarms(template)).toHaveLength(12);
    expect(alarmOn(template, 'HTTPCode_ELB_5XX_Count').Properties.Threshold).toBe(20);
    expect(alarmOn(template, 'HealthyHostCount').Properties.EvaluationPeriods).toBe(4);
    expect(alarmOn(template, 'FulfilledCapacity').Properties.EvaluationPeriods).toBe(6);
  });

  it('rejects values CloudWatch could not take, naming the key', () => {
    expect(() => resolveConfig({ alarmCapacityShortfallMinutes: '12' })).toThrow(ConfigError);
    expect(() => resolveConfig({ alarmCapacityShortfallMinutes: '12' })).toThrow(/alarmCapacityShortfallMinutes.*multiple of 5/);
    expect(() => resolveConfig({ alarmNoHealthyTargetMinutes: '0' })).toThrow(/alarmNoHealthyTargetMinutes/);
    expect(() => resolveConfig({ alarmUnhealthyTargetMinutes: '1441' })).toThrow(/between 1 and 1440/);
    expect(() => resolveConfig({ alarmElb5xxPerMinute: 'many' })).toThrow(/alarmElb5xxPerMinute/);
  });
});
