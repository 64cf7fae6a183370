import { type Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { STACK_TAG } from '../common/ec2-events.js';
import type { AllocationStrategy, RebalanceReplacementStrategy } from './config.js';
import { SpotFleetRole } from './spot-fleet-role.js';

export interface WebSpotFleetProps {
  readonly launchTemplate: ec2.LaunchTemplate;
  /** The instances' role, which the fleet passes to them. @default none */
  readonly instanceRole?: iam.IRole;
  /** Subnets the fleet may launch into, one override per (type, subnet). */
  readonly subnets: readonly ec2.ISubnet[];
  readonly instanceTypes: readonly string[];
  readonly allocationStrategy: AllocationStrategy;
  readonly targetCapacity: number;
  /** Registers each instance here, as LoadBalancersConfig does. */
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /**
   * Capacity rebalancing: launch a replacement when AWS signals an elevated interruption risk, and with
   * `launch-before-terminate` terminate the old instance `terminationDelay` later. @default off
   */
  readonly capacityRebalance?: {
    readonly replacementStrategy: RebalanceReplacementStrategy;
    /** Only for `launch-before-terminate` (120-7200 s). */
    readonly terminationDelay: Duration;
  };
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
    const stackName = Stack.of(this).stackName;
    const fleetRole = new SpotFleetRole(this, 'FleetRole', {
      launchTemplate: props.launchTemplate,
      instanceRole: props.instanceRole,
      targetGroup: props.targetGroup,
      stackTag: { key: STACK_TAG, value: stackName },
    }).role;

    const overrides = interleavePools(props.instanceTypes, props.subnets).map(([instanceType, subnet]) => ({
      instanceType,
      subnetId: subnet.subnetId,
    }));

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
              // A version that never changes, so a deploy that changes the launch template (new AMI, new user
              // data, new app) does not replace the fleet: LaunchTemplateConfigs is create-only (cfn-lint's
              // AWS::EC2::SpotFleet schema), and with LatestVersionNumber every such deploy made CloudFormation
              // create a new fleet and delete the old one, terminating its instances without warning or drain.
              // `$Latest`/`$Default` would be the natural choice, which the Spot Fleet API accepts, but
              // CloudFormation refuses them here ("Specifying $Latest or $Default for the template version number is
              // not supported", AWS::EC2::SpotFleet FleetLaunchTemplateSpecification; the error in
              // awsdocs/aws-cloudformation-user-guide#862). Version 1 is the template's first, created with it.
              // `npm run cli -- roll` then points the fleet at the newest version (ModifySpotFleetRequest) and
              // replaces the instances one at a time; CloudFormation never sees a change to this property.
              version: '1',
            },
            overrides,
          },
        ],
        loadBalancersConfig: {
          targetGroupsConfig: { targetGroups: [{ arn: props.targetGroup.targetGroupArn }] },
        },
        spotMaintenanceStrategies: props.capacityRebalance
          ? {
              capacityRebalance:
                props.capacityRebalance.replacementStrategy === 'launch'
                  ? { replacementStrategy: 'launch' }
                  : {
                      replacementStrategy: 'launch-before-terminate',
                      terminationDelay: props.capacityRebalance.terminationDelay.toSeconds(),
                    },
            }
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
