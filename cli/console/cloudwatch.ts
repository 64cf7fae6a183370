import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeTargetGroupAttributesCommand, DescribeTargetGroupsCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { TrafficSample } from './view.js';

/** ALB publishes its metrics once a minute (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html). */
export const ALB_METRIC_PERIOD_S = 60;

/**
 * The `LoadBalancer` dimension of the ALB in front of a target group: the final portion of its ARN,
 * `app/<name>/<id>`. Undefined when the target group is not attached to a load balancer.
 */
export async function albDimension(elbv2: ElasticLoadBalancingV2Client, targetGroupArn: string): Promise<string | undefined> {
  const groups = await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [targetGroupArn] }));
  const arn = groups.TargetGroups?.[0]?.LoadBalancerArns?.[0];
  return arn ? loadBalancerDimension(arn) : undefined;
}

/**
 * The target group's deregistration delay in seconds (`deregistration_delay.timeout_seconds`): the longest a
 * target stays draining. ELB does not say how long a draining target has left; the console counts from this.
 */
export async function deregistrationDelaySeconds(elbv2: ElasticLoadBalancingV2Client, targetGroupArn: string): Promise<number | undefined> {
  const attributes = await elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn }));
  const value = Number(attributes.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value);
  return Number.isFinite(value) ? value : undefined;
}

/** `arn:aws:elasticloadbalancing:r:a:loadbalancer/app/n/id` → `app/n/id`. */
export function loadBalancerDimension(loadBalancerArn: string): string | undefined {
  const at = loadBalancerArn.indexOf(':loadbalancer/');
  return at < 0 ? undefined : loadBalancerArn.slice(at + ':loadbalancer/'.length);
}

/**
 * The ALB's requests and failed requests per second, one sample a minute over the window: RequestCount, and as
 * failures the 5XX answers of the load balancer itself and of the targets (what a user saw as an error page).
 * Minutes with no requests have no datapoint in CloudWatch; they are left out, not shown as zero.
 */
export async function readAlbTraffic(cloudwatch: CloudWatchClient, dimension: string, now: number, windowMs: number): Promise<TrafficSample[]> {
  const metric = (id: string, name: string) => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'AWS/ApplicationELB', MetricName: name, Dimensions: [{ Name: 'LoadBalancer', Value: dimension }] },
      Period: ALB_METRIC_PERIOD_S,
      Stat: 'Sum',
    },
    ReturnData: true,
  });
  const end = new Date(Math.floor(now / 60_000) * 60_000);
  const result = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(end.getTime() - windowMs),
      EndTime: end,
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [metric('requests', 'RequestCount'), metric('elb5xx', 'HTTPCode_ELB_5XX_Count'), metric('target5xx', 'HTTPCode_Target_5XX_Count')],
    }),
  );
  const series = new Map((result.MetricDataResults ?? []).map((r) => [r.Id, new Map((r.Timestamps ?? []).map((t, i) => [t.getTime(), r.Values?.[i] ?? 0]))]));
  const requests = series.get('requests') ?? new Map<number, number>();
  const failed = (at: number): number => (series.get('elb5xx')?.get(at) ?? 0) + (series.get('target5xx')?.get(at) ?? 0);
  return [...requests.entries()]
    .sort(([a], [b]) => a - b)
    .map(([at, count]) => ({
      // A datapoint's timestamp is the start of its minute; the chart puts a rate at the end of its interval.
      at: at + ALB_METRIC_PERIOD_S * 1000,
      source: 'cloudwatch' as const,
      requestsPerSecond: count / ALB_METRIC_PERIOD_S,
      failedPerSecond: failed(at) / ALB_METRIC_PERIOD_S,
    }));
}

