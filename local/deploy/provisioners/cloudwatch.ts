import { PutDashboardCommand, PutMetricAlarmCommand, SetAlarmStateCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { asJson, asNumber, required, tagsOf, type Provisioner } from './types.js';

/**
 * AWS::CloudWatch::Alarm through PutMetricAlarm, every property passed under its API name. moto stores the alarm
 * but never evaluates it (local/cloudwatch/ does) and starts it in OK, where CloudWatch starts a new alarm in
 * INSUFFICIENT_DATA until its first evaluation (PutMetricAlarm: "the alarm state is set to INSUFFICIENT_DATA");
 * SetAlarmState puts it where AWS would.
 */
export const alarm: Provisioner = async (props, ctx) => {
  const name = (props.AlarmName as string | undefined) ?? ctx.physicalName(255);
  const { cloudwatch } = ctx.clients;
  const tags = tagsOf(props);
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      AlarmDescription: props.AlarmDescription as string | undefined,
      ActionsEnabled: props.ActionsEnabled === undefined ? undefined : props.ActionsEnabled === true || props.ActionsEnabled === 'true',
      AlarmActions: props.AlarmActions as string[] | undefined,
      OKActions: props.OKActions as string[] | undefined,
      InsufficientDataActions: props.InsufficientDataActions as string[] | undefined,
      MetricName: props.MetricName as string | undefined,
      Namespace: props.Namespace as string | undefined,
      Statistic: props.Statistic as never,
      ExtendedStatistic: props.ExtendedStatistic as string | undefined,
      Dimensions: props.Dimensions as never,
      Period: asNumber(props.Period),
      Unit: props.Unit as never,
      EvaluationPeriods: asNumber(required(props, 'EvaluationPeriods', ctx, 'any')),
      DatapointsToAlarm: asNumber(props.DatapointsToAlarm),
      Threshold: asNumber(props.Threshold),
      ComparisonOperator: required(props, 'ComparisonOperator', ctx),
      TreatMissingData: props.TreatMissingData as string | undefined,
      EvaluateLowSampleCountPercentile: props.EvaluateLowSampleCountPercentile as string | undefined,
      ThresholdMetricId: props.ThresholdMetricId as string | undefined,
      Metrics: metricQueries(props.Metrics),
      Tags: tags.length ? tags : undefined,
    }),
  );
  await cloudwatch.send(
    new SetAlarmStateCommand({ AlarmName: name, StateValue: 'INSUFFICIENT_DATA', StateReason: 'Unchecked: Initial alarm creation' }),
  );
  const arn = `arn:${ctx.partition}:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${name}`;
  return { physicalId: name, attributes: { Arn: arn } };
};

/** CloudFormation's MetricDataQuery has numbers as strings in places and `ReturnData` as a string or boolean. */
function metricQueries(value: unknown): MetricDataQuery[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((q: Record<string, any>) => ({
    Id: q.Id,
    Label: q.Label,
    Expression: q.Expression,
    Period: asNumber(q.Period),
    ReturnData: q.ReturnData === undefined ? undefined : q.ReturnData === true || q.ReturnData === 'true',
    AccountId: q.AccountId,
    MetricStat: q.MetricStat && {
      Metric: q.MetricStat.Metric,
      Period: asNumber(q.MetricStat.Period),
      Stat: q.MetricStat.Stat,
      Unit: q.MetricStat.Unit,
    },
  }));
}

/** AWS::CloudWatch::Dashboard through PutDashboard; the body is stored as written (moto does not render it). */
export const dashboard: Provisioner = async (props, ctx) => {
  const name = (props.DashboardName as string | undefined) ?? ctx.physicalName(255, { alphanumericAndHyphens: true });
  await ctx.clients.cloudwatch.send(
    new PutDashboardCommand({ DashboardName: name, DashboardBody: asJson(required(props, 'DashboardBody', ctx, 'any')) }),
  );
  return { physicalId: name, attributes: {} };
};
