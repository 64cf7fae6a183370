import {
  AssociateIamInstanceProfileCommand,
  DescribeInstancesCommand,
  DescribeSpotFleetInstancesCommand,
  ModifyInstanceAttributeCommand,
  RequestSpotFleetCommand,
  type EC2Client,
  type SpotFleetLaunchSpecification,
  type SpotFleetRequestConfigData,
} from '@aws-sdk/client-ec2';
import { toLaunchSpecifications, type LaunchTemplateConfig, type LaunchTemplateData } from './spot-fleet-specs.js';
import { ProvisionError, required, type ProvisionContext, type Provisioner } from './types.js';

function launchTemplateData(ctx: ProvisionContext) {
  return (spec: LaunchTemplateConfig['LaunchTemplateSpecification']): LaunchTemplateData => {
    const template = Object.values(ctx.deployed).find(
      (r) =>
        r.type === 'AWS::EC2::LaunchTemplate' &&
        (r.physicalId === spec.LaunchTemplateId || (spec.LaunchTemplateName !== undefined && r.attributes.LaunchTemplateName === spec.LaunchTemplateName)),
    );
    if (!template) {
      throw new ProvisionError(ctx, `launch template ${spec.LaunchTemplateId ?? spec.LaunchTemplateName} is not one of this stack's`);
    }
    if (spec.Version !== undefined && spec.Version !== template.attributes.LatestVersionNumber && spec.Version !== '$Latest') {
      ctx.note(`launch template version ${spec.Version} requested; the stack's only version is used`);
    }
    return template.attributes.LaunchTemplateData as LaunchTemplateData;
  };
}

/**
 * Gives the fleet's instances what their launch specification says and moto drops: security groups (moto
 * resolves GroupIdentifier objects as names and finds none) and the instance profile. Matches each
 * instance to its spec by (instance type, subnet), the pool it was launched into. Exported for the
 * runtime that launches replacements.
 */
export async function applyLaunchSpecifications(
  ec2: EC2Client,
  fleetRequestId: string,
  specs: readonly SpotFleetLaunchSpecification[],
): Promise<void> {
  const active = await ec2.send(new DescribeSpotFleetInstancesCommand({ SpotFleetRequestId: fleetRequestId }));
  const ids = (active.ActiveInstances ?? []).map((i) => i.InstanceId as string);
  if (ids.length === 0) return;
  const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  const instances = (described.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  await Promise.all(
    instances.map(async (instance) => {
      const spec = specs.find((s) => s.InstanceType === instance.InstanceType && s.SubnetId === instance.SubnetId);
      const groups = (spec?.SecurityGroups ?? []).map((g) => g.GroupId as string);
      if (groups.length > 0) {
        await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instance.InstanceId, Groups: groups }));
      }
      if (spec?.IamInstanceProfile?.Arn && !instance.IamInstanceProfile) {
        await ec2.send(new AssociateIamInstanceProfileCommand({ InstanceId: instance.InstanceId, IamInstanceProfile: { Arn: spec.IamInstanceProfile.Arn } }));
      }
    }),
  );
}

/**
 * RequestSpotFleet with LaunchTemplateConfigs expanded into LaunchSpecifications (see spot-fleet-specs).
 * moto ignores LoadBalancersConfig and `maintain`; the request's original configuration is returned in
 * the attributes so the local runtime that plays the Spot service can honour them.
 */
export const spotFleet: Provisioner = async (props, ctx) => {
  const config = required<Record<string, unknown>>(props, 'SpotFleetRequestConfigData', ctx, 'object');
  const { LaunchTemplateConfigs, LaunchSpecifications, ...rest } = config;
  const specs = [
    ...((LaunchSpecifications as SpotFleetRequestConfigData['LaunchSpecifications']) ?? []),
    ...toLaunchSpecifications((LaunchTemplateConfigs as LaunchTemplateConfig[] | undefined) ?? [], launchTemplateData(ctx)),
  ];
  if (specs.length === 0) throw new ProvisionError(ctx, 'neither LaunchSpecifications nor LaunchTemplateConfigs given');
  const out = await ctx.clients.ec2.send(
    new RequestSpotFleetCommand({
      SpotFleetRequestConfig: { ...(rest as unknown as SpotFleetRequestConfigData), LaunchSpecifications: specs },
    }),
  );
  const id = out.SpotFleetRequestId as string;
  await applyLaunchSpecifications(ctx.clients.ec2, id, specs);
  if (config.LoadBalancersConfig) ctx.note('LoadBalancersConfig is not applied by moto: the local Spot runtime registers instances');
  return { physicalId: id, attributes: { SpotFleetRequestId: id, RequestConfig: config, LaunchSpecifications: specs } };
};
