import { RequestSpotFleetCommand, type SpotFleetRequestConfigData } from '@aws-sdk/client-ec2';
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
  if (config.LoadBalancersConfig) ctx.note('LoadBalancersConfig is not applied by moto: the local Spot runtime registers instances');
  return { physicalId: id, attributes: { SpotFleetRequestId: id, RequestConfig: config, LaunchSpecifications: specs } };
};
