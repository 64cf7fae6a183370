import { Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { STACK_TAG } from '../common/ec2-events.js';
import type { AllocationStrategy } from './config.js';

export interface WebSpotFleetProps {
  readonly launchTemplate: ec2.LaunchTemplate;
  /** Subnets the fleet may launch into, one override per (type, subnet). */
  readonly subnets: readonly ec2.ISubnet[];
  readonly instanceTypes: readonly string[];
  readonly allocationStrategy: AllocationStrategy;
  readonly targetCapacity: number;
  /** Registers each instance here, as LoadBalancersConfig does. */
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /** Launch a replacement when AWS signals an elevated interruption risk. */
  readonly capacityRebalance: boolean;
}

/**
 * Every (instance type, subnet) pair once, ordered so that neighbours differ in both type and subnet. AWS's
 * diversified strategy ignores the order; emulators that round-robin over the list (moto) then also spread the
 * first instances across types and AZs.
 */
export function interleavePools<T, S>(types: readonly T[], subnets: readonly S[]): Array<[T, S]> {
  const pairs: Array<[T, S]> = [];
  for (let round = 0; round < subnets.length; round++) {
    types.forEach((type, t) => pairs.push([type, subnets[(t + round) % subnets.length]!]));
  }
  return pairs;
}

/**
 * The diversified Spot Fleet (CfnSpotFleet: there is no L2). Type `maintain`, so the fleet replaces
 * interrupted instances; every (instance type, subnet) pair is an override so the fleet spreads across pools.
 */
export class WebSpotFleet extends Construct {
  readonly fleet: ec2.CfnSpotFleet;
  /** The Spot Fleet request id (`sfr-…`). */
  readonly requestId: string;

  constructor(scope: Construct, id: string, props: WebSpotFleetProps) {
    super(scope, id);
    const fleetRole = new iam.Role(this, 'FleetRole', {
      assumedBy: new iam.ServicePrincipal('spotfleet.amazonaws.com'),
      description: 'Lets the Spot Fleet service launch, tag and register the fleet instances',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEC2SpotFleetTaggingRole')],
    });
    Validations.of(fleetRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2SpotFleetTaggingRole]',
      reason: 'The AWS-managed Spot Fleet role policy is what AWS documents for Spot Fleet; AWS keeps it current.',
    });

    const overrides = interleavePools(props.instanceTypes, props.subnets).map(([instanceType, subnet]) => ({
      instanceType,
      subnetId: subnet.subnetId,
    }));
    const stackName = Stack.of(this).stackName;

    this.fleet = new ec2.CfnSpotFleet(this, 'Fleet', {
      spotFleetRequestConfigData: {
        iamFleetRole: fleetRole.roleArn,
        type: 'maintain',
        allocationStrategy: props.allocationStrategy,
        targetCapacity: props.targetCapacity,
        replaceUnhealthyInstances: true,
        instanceInterruptionBehavior: 'terminate',
        terminateInstancesWithExpiration: true,
        launchTemplateConfigs: [
          {
            launchTemplateSpecification: {
              launchTemplateId: props.launchTemplate.launchTemplateId,
              version: props.launchTemplate.latestVersionNumber,
            },
            overrides,
          },
        ],
        loadBalancersConfig: {
          targetGroupsConfig: { targetGroups: [{ arn: props.targetGroup.targetGroupArn }] },
        },
        spotMaintenanceStrategies: props.capacityRebalance
          ? { capacityRebalance: { replacementStrategy: 'launch' } }
          : undefined,
        tagSpecifications: [
          { resourceType: 'spot-fleet-request', tags: [{ key: STACK_TAG, value: stackName }] },
        ],
      },
    });
    // LoadBalancersConfig registers instances into a target group that must already receive traffic from the load
    // balancer: create the fleet after the listener, as the scaling policy is (fleet-autoscaling.ts).
    this.fleet.node.addDependency(props.targetGroup.loadBalancerAttached);
    this.requestId = this.fleet.ref;
  }
}
