import type { SpotFleetLaunchSpecification } from '@aws-sdk/client-ec2';
import { join } from 'node:path';
import type { TrackingPolicy } from './autoscaling/target-tracking.js';
import type { DeployedStack } from './deploy/deploy.js';
import type { RuleDefinition, RuleTarget } from './events/bus.js';
import { DEFAULT_EVENT_INVOKE_CONFIG, type EventInvokeConfig } from './lambda/async-invocation.js';
import { capacityRebalanceOf, type CapacityRebalance } from './spot/rebalance.js';

/**
 * Reads what the local runtime needs from the deployed stack (resolved template properties and the physical
 * ids moto gave): which rules route what, which functions run which asset, how the fleet scales.
 */

type DeployedResource = DeployedStack['resources'][string];

export function resourcesOfType(deployed: DeployedStack, type: string): Array<DeployedResource & { logicalId: string }> {
  return Object.entries(deployed.resources)
    .filter(([, r]) => r.type === type)
    .map(([logicalId, r]) => ({ ...r, logicalId }));
}

export function findResource(deployed: DeployedStack, type: string): DeployedResource & { logicalId: string } {
  const found = resourcesOfType(deployed, type);
  if (found.length !== 1) throw new Error(`expected one ${type} in the stack, found ${found.length}`);
  return found[0]!;
}

export interface LambdaFunctionSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly assetDir: string;
  readonly handler: string;
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** The execution role (`Role`), whose session the function runs with. */
  readonly roleArn?: string;
  /** `DeadLetterConfig.TargetArn`: where Lambda sends an asynchronous event that failed every attempt. */
  readonly deadLetterArn?: string;
  /** From the stack's `AWS::Lambda::EventInvokeConfig` for `$LATEST`, else Lambda's defaults. */
  readonly eventInvokeConfig: EventInvokeConfig;
  /** Who may invoke it, from the stack's `AWS::Lambda::Permission` resources (its resource-based policy). */
  readonly permissions: readonly InvokePermission[];
}

export interface InvokePermission {
  readonly principal: string;
  readonly sourceArn?: string;
}

export function lambdaFunctions(deployed: DeployedStack, assemblyDir: string): LambdaFunctionSpec[] {
  return resourcesOfType(deployed, 'AWS::Lambda::Function').flatMap((fn) => {
    const assetPath = fn.metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') return [];
    const props = fn.properties;
    return [
      {
        logicalId: fn.logicalId,
        name: fn.physicalId,
        arn: String(fn.attributes.Arn),
        assetDir: join(assemblyDir, assetPath),
        handler: String(props.Handler ?? 'index.handler'),
        environment: (props.Environment?.Variables ?? {}) as Record<string, string>,
        timeoutSeconds: Number(props.Timeout ?? 3),
        memoryMb: Number(props.MemorySize ?? 128),
        ...(typeof props.Role === 'string' && { roleArn: props.Role as string }),
        ...(typeof props.DeadLetterConfig?.TargetArn === 'string' && { deadLetterArn: props.DeadLetterConfig.TargetArn as string }),
        eventInvokeConfig: eventInvokeConfigOf(deployed, fn.physicalId, String(fn.attributes.Arn)),
        permissions: permissionsOf(deployed, fn.physicalId, String(fn.attributes.Arn)),
      },
    ];
  });
}

/** A function reference in a template: its name, its ARN, or its ARN with a qualifier. */
function refersTo(ref: unknown, name: string, arn: string): boolean {
  return ref === name || ref === arn || (typeof ref === 'string' && ref.startsWith(`${arn}:`));
}

function eventInvokeConfigOf(deployed: DeployedStack, name: string, arn: string): EventInvokeConfig {
  const config = resourcesOfType(deployed, 'AWS::Lambda::EventInvokeConfig').find(
    (c) => refersTo(c.properties.FunctionName, name, arn) && (c.properties.Qualifier ?? '$LATEST') === '$LATEST',
  )?.properties;
  if (!config) return DEFAULT_EVENT_INVOKE_CONFIG;
  const onFailure = config.DestinationConfig?.OnFailure?.Destination;
  const onSuccess = config.DestinationConfig?.OnSuccess?.Destination;
  return {
    maximumRetryAttempts: Number(config.MaximumRetryAttempts ?? DEFAULT_EVENT_INVOKE_CONFIG.maximumRetryAttempts),
    maximumEventAgeMs:
      config.MaximumEventAgeInSeconds === undefined ? DEFAULT_EVENT_INVOKE_CONFIG.maximumEventAgeMs : Number(config.MaximumEventAgeInSeconds) * 1000,
    ...(typeof onFailure === 'string' && { onFailureDestination: onFailure }),
    ...(typeof onSuccess === 'string' && { onSuccessDestination: onSuccess }),
  };
}

function permissionsOf(deployed: DeployedStack, name: string, arn: string): InvokePermission[] {
  return resourcesOfType(deployed, 'AWS::Lambda::Permission')
    .filter((p) => refersTo(p.properties.FunctionName, name, arn) && /^lambda:(InvokeFunction|\*)$/.test(String(p.properties.Action)))
    .map((p) => ({
      principal: String(p.properties.Principal),
      ...(typeof p.properties.SourceArn === 'string' && { sourceArn: p.properties.SourceArn as string }),
    }));
}

export function rulesOf(deployed: DeployedStack): RuleDefinition[] {
  return resourcesOfType(deployed, 'AWS::Events::Rule').map((rule) => {
    const props = rule.properties;
    const pattern = typeof props.EventPattern === 'string' ? JSON.parse(props.EventPattern) : props.EventPattern;
    return {
      name: rule.physicalId,
      arn: String(rule.attributes.Arn ?? rule.physicalId),
      eventPattern: pattern,
      enabled: (props.State ?? 'ENABLED') === 'ENABLED',
      targets: (props.Targets ?? []) as RuleTarget[],
    };
  });
}

export function scalingPolicyOf(deployed: DeployedStack): TrackingPolicy | undefined {
  const targets = resourcesOfType(deployed, 'AWS::ApplicationAutoScaling::ScalableTarget');
  const policies = resourcesOfType(deployed, 'AWS::ApplicationAutoScaling::ScalingPolicy');
  const target = targets[0];
  const tracking = policies[0]?.properties.TargetTrackingScalingPolicyConfiguration;
  if (!target || !tracking) return undefined;
  return {
    targetValue: Number(tracking.TargetValue),
    minCapacity: Number(target.properties.MinCapacity),
    maxCapacity: Number(target.properties.MaxCapacity),
    scaleOutCooldownMs: Number(tracking.ScaleOutCooldown ?? 300) * 1000,
    scaleInCooldownMs: Number(tracking.ScaleInCooldown ?? 300) * 1000,
  };
}

/** A launch template override of the fleet: one (instance type, subnet) pool. */
export interface LaunchTemplateOverride {
  readonly InstanceType?: string;
  readonly SubnetId?: string;
}

/** The stack's Spot Fleet, as the Spot emulation plays it. */
export interface StackFleet {
  /** The fleet request's id (`sfr-…`). */
  readonly requestId: string;
  /** The launch specifications the deployer expanded the launch template and its overrides into. */
  readonly launchSpecifications: readonly SpotFleetLaunchSpecification[];
  /** `LoadBalancersConfig.TargetGroupsConfig`: where the fleet registers its instances (at least one). */
  readonly targetGroupArns: readonly string[];
  /** `IamFleetRole`: the role Spot Fleet launches, tags, registers and terminates with. */
  readonly iamFleetRole: string;
  /** `LaunchTemplateConfigs[0]`: the template, the version it names (`$Default` when none) and its overrides. */
  readonly launchTemplate: { readonly id: string; readonly version: string; readonly overrides: readonly LaunchTemplateOverride[] };
  readonly capacityRebalance?: CapacityRebalance;
}

/** What the local runtime plays, read once from the deployed stack. */
export interface StackView {
  readonly fleet: StackFleet;
  /** The target group the local ALB serves: the fleet's first. */
  readonly targetGroupArn: string;
  /** The port targets are registered on (the target group's `Port`). @default 80 */
  readonly targetGroupPort: number;
  readonly loadBalancerArn: string;
  /** The interruption topic a person subscribes to. */
  readonly topicArn: string;
  /** The fleet's target-tracking policy, if the stack scales it. */
  readonly scalingPolicy?: TrackingPolicy;
}

/**
 * Reads the deployed stack into the view the local runtime plays. Throws an Error naming what is missing when the
 * stack lacks a part the local cloud needs (one Spot Fleet with a target group and a launch template, one ALB, one
 * target group, one topic).
 */
export function readStackView(deployed: DeployedStack): StackView {
  const fleet = findResource(deployed, 'AWS::EC2::SpotFleet');
  const config = (fleet.properties.SpotFleetRequestConfigData ?? {}) as {
    readonly LoadBalancersConfig?: { readonly TargetGroupsConfig?: { readonly TargetGroups?: ReadonlyArray<{ readonly Arn: string }> } };
    readonly LaunchTemplateConfigs?: ReadonlyArray<{
      readonly LaunchTemplateSpecification?: { readonly LaunchTemplateId?: string; readonly Version?: string };
      readonly Overrides?: readonly LaunchTemplateOverride[];
    }>;
    readonly SpotMaintenanceStrategies?: unknown;
    readonly IamFleetRole?: string;
  };
  const targetGroupArns = (config.LoadBalancersConfig?.TargetGroupsConfig?.TargetGroups ?? []).map((t) => t.Arn);
  const targetGroupArn = targetGroupArns[0];
  if (!targetGroupArn) throw new Error('the Spot Fleet names no target group in LoadBalancersConfig');
  const launchTemplateConfig = config.LaunchTemplateConfigs?.[0];
  const launchTemplateId = launchTemplateConfig?.LaunchTemplateSpecification?.LaunchTemplateId;
  if (!launchTemplateId) throw new Error('the Spot Fleet names no launch template in LaunchTemplateConfigs');
  const capacityRebalance = capacityRebalanceOf(config);
  const scalingPolicy = scalingPolicyOf(deployed);
  return {
    fleet: {
      requestId: fleet.physicalId,
      launchSpecifications: fleet.attributes.LaunchSpecifications as SpotFleetLaunchSpecification[],
      targetGroupArns,
      iamFleetRole: String(config.IamFleetRole ?? ''),
      launchTemplate: {
        id: launchTemplateId,
        version: launchTemplateConfig.LaunchTemplateSpecification?.Version ?? '$Default',
        overrides: launchTemplateConfig.Overrides ?? [],
      },
      ...(capacityRebalance && { capacityRebalance }),
    },
    targetGroupArn,
    targetGroupPort: Number(findResource(deployed, 'AWS::ElasticLoadBalancingV2::TargetGroup').properties.Port ?? 80),
    loadBalancerArn: findResource(deployed, 'AWS::ElasticLoadBalancingV2::LoadBalancer').physicalId,
    topicArn: findResource(deployed, 'AWS::SNS::Topic').physicalId,
    ...(scalingPolicy && { scalingPolicy }),
  };
}
