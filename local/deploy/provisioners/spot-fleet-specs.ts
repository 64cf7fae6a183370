import type { SpotFleetLaunchSpecification } from '@aws-sdk/client-ec2';

/** The slice of a launch template's data a Spot Fleet launch specification can carry. */
export interface LaunchTemplateData {
  readonly ImageId?: string;
  readonly InstanceType?: string;
  readonly KeyName?: string;
  readonly UserData?: string;
  readonly IamInstanceProfile?: { readonly Arn?: string; readonly Name?: string };
  readonly SecurityGroupIds?: readonly string[];
  readonly BlockDeviceMappings?: readonly Record<string, unknown>[];
  readonly EbsOptimized?: boolean;
  readonly Monitoring?: { readonly Enabled?: boolean };
  readonly TagSpecifications?: ReadonlyArray<{ readonly ResourceType?: string; readonly Tags?: ReadonlyArray<{ Key: string; Value: string }> }>;
}

export interface LaunchTemplateOverride {
  readonly InstanceType?: string;
  readonly SubnetId?: string;
  readonly AvailabilityZone?: string;
  readonly WeightedCapacity?: number;
  readonly SpotPrice?: string;
  readonly Priority?: number;
}

export interface LaunchTemplateConfig {
  readonly LaunchTemplateSpecification: { readonly LaunchTemplateId?: string; readonly LaunchTemplateName?: string; readonly Version?: string };
  readonly Overrides?: readonly LaunchTemplateOverride[];
}

/**
 * Expands LaunchTemplateConfigs into one launch specification per override, as the Spot service sees
 * the pools. moto only honours a config's first override (and ignores the template's security groups),
 * so handing it the expanded list lets its `diversified` round-robin spread the fleet like AWS does.
 */
export function toLaunchSpecifications(
  configs: readonly LaunchTemplateConfig[],
  templateData: (spec: LaunchTemplateConfig['LaunchTemplateSpecification']) => LaunchTemplateData,
): SpotFleetLaunchSpecification[] {
  return configs.flatMap((config) => {
    const data = templateData(config.LaunchTemplateSpecification);
    const overrides = config.Overrides && config.Overrides.length > 0 ? config.Overrides : [{}];
    return overrides.map((override): SpotFleetLaunchSpecification => {
      const instanceType = override.InstanceType ?? data.InstanceType;
      if (!data.ImageId || !instanceType) {
        throw new Error('a Spot Fleet launch specification needs ImageId and InstanceType (launch template or override)');
      }
      const instanceTags = (data.TagSpecifications ?? []).filter((t) => t.ResourceType === 'instance');
      return {
        ImageId: data.ImageId,
        InstanceType: instanceType as SpotFleetLaunchSpecification['InstanceType'],
        SubnetId: override.SubnetId,
        ...(override.AvailabilityZone ? { Placement: { AvailabilityZone: override.AvailabilityZone } } : {}),
        ...(override.WeightedCapacity !== undefined ? { WeightedCapacity: Number(override.WeightedCapacity) } : {}),
        ...(override.SpotPrice !== undefined ? { SpotPrice: String(override.SpotPrice) } : {}),
        KeyName: data.KeyName,
        UserData: data.UserData,
        EbsOptimized: data.EbsOptimized,
        ...(data.Monitoring ? { Monitoring: { Enabled: data.Monitoring.Enabled } } : {}),
        ...(data.IamInstanceProfile?.Arn ? { IamInstanceProfile: { Arn: data.IamInstanceProfile.Arn } } : {}),
        ...(data.SecurityGroupIds?.length ? { SecurityGroups: data.SecurityGroupIds.map((GroupId) => ({ GroupId })) } : {}),
        ...(instanceTags.length > 0
          ? { TagSpecifications: instanceTags.map((t) => ({ ResourceType: 'instance' as const, Tags: [...(t.Tags ?? [])] })) }
          : {}),
      };
    });
  });
}
