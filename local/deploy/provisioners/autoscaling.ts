import {
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ScalableDimension,
  type ServiceNamespace,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeTargetGroupsCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { loadBalancerFullName, targetGroupFullName } from './elbv2.js';
import { ProvisionError, required, type Provisioner } from './types.js';

// CloudFormation's Ref for a scalable target joins its three identifying fields with "|".
const SEPARATOR = '|';

export const scalableTarget: Provisioner = async (props, ctx) => {
  const resourceId = required(props, 'ResourceId', ctx);
  const dimension = required(props, 'ScalableDimension', ctx);
  const namespace = required(props, 'ServiceNamespace', ctx);
  const out = await ctx.clients.autoScaling.send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: namespace as ServiceNamespace,
      ResourceId: resourceId,
      ScalableDimension: dimension as ScalableDimension,
      MinCapacity: Number(required(props, 'MinCapacity', ctx, 'number')),
      MaxCapacity: Number(required(props, 'MaxCapacity', ctx, 'number')),
      RoleARN: props.RoleARN as string | undefined,
      SuspendedState: props.SuspendedState as never,
    }),
  );
  if (props.ScheduledActions) ctx.note('ScheduledActions are not registered locally');
  const id = [resourceId, dimension, namespace].join(SEPARATOR);
  return { physicalId: id, attributes: { Id: id, ScalableTargetArn: out.ScalableTargetARN } };
};

export const scalingPolicy: Provisioner = async (props, ctx) => {
  let target: { resourceId?: string; dimension?: string; namespace?: string };
  if (typeof props.ScalingTargetId === 'string') {
    const [resourceId, dimension, namespace] = props.ScalingTargetId.split(SEPARATOR);
    target = { resourceId, dimension, namespace };
  } else {
    target = { resourceId: props.ResourceId as string, dimension: props.ScalableDimension as string, namespace: props.ServiceNamespace as string };
  }
  if (!target.resourceId || !target.dimension || !target.namespace) {
    throw new ProvisionError(ctx, 'needs ScalingTargetId, or ResourceId + ScalableDimension + ServiceNamespace');
  }
  const name = required(props, 'PolicyName', ctx);
  await assertRequestCountTargetAttached(ctx.clients.elbv2, props.TargetTrackingScalingPolicyConfiguration);
  const out = await ctx.clients.autoScaling.send(
    new PutScalingPolicyCommand({
      PolicyName: name,
      ServiceNamespace: target.namespace as ServiceNamespace,
      ResourceId: target.resourceId,
      ScalableDimension: target.dimension as ScalableDimension,
      PolicyType: props.PolicyType as 'TargetTrackingScaling' | undefined,
      TargetTrackingScalingPolicyConfiguration: props.TargetTrackingScalingPolicyConfiguration as never,
      StepScalingPolicyConfiguration: props.StepScalingPolicyConfiguration as never,
    }),
  );
  return { physicalId: out.PolicyARN as string, attributes: { Arn: out.PolicyARN } };
};

/** What Application Auto Scaling answers a PutScalingPolicy it refuses with (HTTP 400, code ValidationException). */
export class ValidationException extends Error {
  override readonly name = 'ValidationException';
}

/**
 * `app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>`, the ResourceLabel of ALBRequestCountPerTarget, split into
 * the load balancer's and the target group's full names; undefined when it is not of that form.
 */
export function parseRequestCountLabel(label: string): { loadBalancer: string; targetGroup: string; targetGroupName: string } | undefined {
  const match = /^(app\/[^/]+\/[^/]+)\/(targetgroup\/([^/]+)\/[^/]+)$/.exec(label);
  return match ? { loadBalancer: match[1]!, targetGroup: match[2]!, targetGroupName: match[3]! } : undefined;
}

/**
 * A target-tracking policy on ALBRequestCountPerTarget counts the requests a load balancer sends to a target group:
 * Application Auto Scaling accepts its ResourceLabel only once the target group is attached to that load balancer (a
 * listener or rule forwards to it). CloudFormation creates resources in dependency order only, so a policy that does
 * not depend on the listener may be created first and fail on AWS; the local deployer refuses it the same way, so
 * the ordering mistake shows up here. Application Auto Scaling API reference, PredefinedMetricSpecification:
 * https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PredefinedMetricSpecification.html
 * (the wording of the message is ours; the error code is the API's).
 */
export async function assertRequestCountTargetAttached(elbv2: ElasticLoadBalancingV2Client, tracking: unknown): Promise<void> {
  const metric = (tracking as { PredefinedMetricSpecification?: { PredefinedMetricType?: string; ResourceLabel?: string } } | undefined)
    ?.PredefinedMetricSpecification;
  if (metric?.PredefinedMetricType !== 'ALBRequestCountPerTarget') return;
  const label = metric.ResourceLabel ?? '';
  const parsed = parseRequestCountLabel(label);
  if (!parsed) {
    throw new ValidationException(
      `ResourceLabel ${JSON.stringify(label)} must be app/<load-balancer-name>/<id>/targetgroup/<target-group-name>/<id> for ALBRequestCountPerTarget`,
    );
  }
  const groups = await elbv2
    .send(new DescribeTargetGroupsCommand({ Names: [parsed.targetGroupName] }))
    .then(
      (out) => out.TargetGroups ?? [],
      (err: Error) => (err.name === 'TargetGroupNotFoundException' ? [] : Promise.reject(err)),
    );
  const group = groups.find((g) => g.TargetGroupArn !== undefined && targetGroupFullName(g.TargetGroupArn) === parsed.targetGroup);
  if (!group) throw new ValidationException(`ResourceLabel ${label}: target group ${parsed.targetGroup} does not exist`);
  const attached = (group.LoadBalancerArns ?? []).map(loadBalancerFullName);
  if (!attached.includes(parsed.loadBalancer)) {
    throw new ValidationException(
      `ResourceLabel ${label}: target group ${parsed.targetGroup} is not attached to load balancer ${parsed.loadBalancer} ` +
        '(no listener forwards to it yet). Make the scaling policy depend on the listener, as CDK\'s scaleOnRequestCount does.',
    );
  }
}
