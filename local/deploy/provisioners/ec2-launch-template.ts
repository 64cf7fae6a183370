import { CreateLaunchTemplateCommand, type RequestLaunchTemplateData } from '@aws-sdk/client-ec2';
import { required, type Provisioner } from './types.js';

export const launchTemplate: Provisioner = async (props, ctx) => {
  const name = (props.LaunchTemplateName as string | undefined) ?? ctx.physicalName(128);
  const data = required<RequestLaunchTemplateData>(props, 'LaunchTemplateData', ctx, 'object');
  const out = await ctx.clients.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: name,
      LaunchTemplateData: data,
      VersionDescription: props.VersionDescription as string | undefined,
      TagSpecifications: props.TagSpecifications as never,
    }),
  );
  const template = out.LaunchTemplate;
  const id = template?.LaunchTemplateId as string;
  return {
    physicalId: id,
    attributes: {
      LaunchTemplateId: id,
      // CloudFormation returns the version numbers as strings.
      LatestVersionNumber: String(template?.LatestVersionNumber ?? 1),
      DefaultVersionNumber: String(template?.DefaultVersionNumber ?? 1),
      // Not a CloudFormation attribute: the resolved data, which the Spot Fleet emulation expands per override.
      LaunchTemplateData: data,
    },
  };
};
