import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';

/** A CloudWatch alarm of the stack, as DescribeAlarms reports it. */
export interface AlarmView {
  readonly name: string;
  /** OK, ALARM or INSUFFICIENT_DATA. */
  readonly state: string;
  readonly reason?: string;
  /** ISO 8601 of the last state change. */
  readonly since?: string;
}

/**
 * The stack's metric alarms (named `<stack>-…`, as infra/monitoring.ts names them), every page of DescribeAlarms,
 * sorted by name: the same call on AWS and against the local cloud.
 */
export async function readStackAlarms(cloudwatch: Pick<CloudWatchClient, 'send'>, stackName: string): Promise<AlarmView[]> {
  const views: AlarmView[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${stackName}-`, AlarmTypes: ['MetricAlarm'], NextToken }));
    for (const a of page.MetricAlarms ?? []) {
      views.push({
        name: a.AlarmName ?? '',
        state: a.StateValue ?? 'INSUFFICIENT_DATA',
        ...(a.StateReason ? { reason: a.StateReason } : {}),
        ...(a.StateUpdatedTimestamp ? { since: a.StateUpdatedTimestamp.toISOString() } : {}),
      });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return views.sort((a, b) => a.name.localeCompare(b.name));
}
