import { join } from 'node:path';
import type { TrackingPolicy } from './autoscaling/target-tracking.js';
import type { DeployedStack } from './deploy/deploy.js';
import type { RuleDefinition, RuleTarget } from './events/bus.js';

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
      },
    ];
  });
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
