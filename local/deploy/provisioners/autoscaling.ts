import {
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ScalableDimension,
  type ServiceNamespace,
} from '@aws-sdk/client-application-auto-scaling';
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
