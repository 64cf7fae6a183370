import { Stack, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface SpotFleetRoleProps {
  /** The only launch template the fleet may launch from. */
  readonly launchTemplate: ec2.LaunchTemplate;
  /** The role the instances get, the only one the fleet may pass. @default none (instances have no role) */
  readonly instanceRole?: iam.IRole;
  /** The only target group the fleet may register instances with. */
  readonly targetGroup: elbv2.ITargetGroup;
  /** Tag (key and value) every instance of this stack carries from launch; termination and later tagging need it. */
  readonly stackTag: { readonly key: string; readonly value: string };
}

/**
 * The role the Spot Fleet service assumes (`IamFleetRole`), scoped to this stack.
 *
 * It keeps every action of AWS's `AmazonEC2SpotFleetTaggingRole` (policy version v5, read from
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEC2SpotFleetTaggingRole.html and from
 * the copy moto ships) and narrows each:
 *
 * | managed policy                                         | here                                               |
 * |--------------------------------------------------------|----------------------------------------------------|
 * | ec2:RunInstances on *                                  | only with this launch template (`ec2:LaunchTemplate`) |
 * | ec2:RequestSpotInstances on *                          | only in this stack's region                        |
 * | ec2:TerminateInstances on *                            | instances tagged with this stack, in its region    |
 * | ec2:CreateTags on *                                    | at launch (`ec2:CreateAction`), or on resources tagged with this stack |
 * | ec2:DescribeImages/DescribeSubnets/DescribeInstanceStatus on * | in this stack's region (no resource-level permissions) |
 * | iam:PassRole on * (to ec2)                             | the instance role only (none when there is none)   |
 * | elasticloadbalancing:RegisterTargets on any target group | this target group                                |
 * | elasticloadbalancing:RegisterInstancesWithLoadBalancer | dropped: the fleet names no Classic Load Balancer (no `ClassicLoadBalancersConfig`), so Spot Fleet never calls it |
 *
 * The trust policy admits `spotfleet.amazonaws.com` only on behalf of this account (`aws:SourceAccount`).
 *
 * The local cloud (moto enforcing IAM, local/iam/) launches, registers and terminates for rebalancing with this
 * role's session and checks the actions of this policy: without `ec2:RunInstances` the local fleet cannot launch.
 * It cannot check the scoping or the conditions: moto 5.2.1 matches every EC2/ELB call against the resource `*`
 * (an Allow scoped to this target group would be denied like any other, so the local cloud widens every Allow's
 * resources to `*`) and evaluates no condition key (`ec2:LaunchTemplate`, `aws:ResourceTag/…`,
 * `aws:RequestedRegion`, `iam:PassedToService`), nor `iam:PassRole` itself. The trust policy's
 * `aws:SourceAccount` is checked locally (local/iam/trust-policy.ts). Measured in test/local/iam-enforcement.test.ts.
 */
export class SpotFleetRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SpotFleetRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // EC2 resource ARNs would only repeat what these say (an IAM role acts in its own account, and EC2 has no
    // resource policies to reach further), so the EC2 statements name "*" and carry the scope in conditions.
    const inRegion = { 'aws:RequestedRegion': stack.region };
    const stackTagged = { StringEquals: { ...inRegion, [`aws:ResourceTag/${props.stackTag.key}`]: props.stackTag.value } };
    const launchTemplateArn = stack.formatArn({ service: 'ec2', resource: 'launch-template', resourceName: props.launchTemplate.launchTemplateId });

    const statements = [
      new iam.PolicyStatement({
        sid: 'Describe',
        actions: ['ec2:DescribeImages', 'ec2:DescribeSubnets', 'ec2:DescribeInstanceStatus'],
        resources: ['*'],
        conditions: { StringEquals: inRegion },
      }),
      // AWS's documented way to confine RunInstances to one launch template: every resource the call touches
      // (instance, volume, network interface, subnet, image…) carries the condition key.
      new iam.PolicyStatement({
        sid: 'LaunchFromThisTemplate',
        actions: ['ec2:RunInstances'],
        resources: ['*'],
        conditions: { ArnEquals: { 'ec2:LaunchTemplate': launchTemplateArn } },
      }),
      new iam.PolicyStatement({
        sid: 'RequestSpotInThisRegion',
        actions: ['ec2:RequestSpotInstances'],
        resources: ['*'],
        conditions: { StringEquals: inRegion },
      }),
      new iam.PolicyStatement({
        sid: 'TerminateThisStacksInstances',
        actions: ['ec2:TerminateInstances'],
        resources: ['*'],
        conditions: stackTagged,
      }),
      new iam.PolicyStatement({
        sid: 'TagOnLaunch',
        actions: ['ec2:CreateTags'],
        resources: ['*'],
        conditions: { StringEquals: { ...inRegion, 'ec2:CreateAction': ['RunInstances', 'RequestSpotInstances', 'RequestSpotFleet'] } },
      }),
      new iam.PolicyStatement({ sid: 'TagThisStacksResources', actions: ['ec2:CreateTags'], resources: ['*'], conditions: stackTagged }),
      new iam.PolicyStatement({
        sid: 'RegisterWithThisTargetGroup',
        actions: ['elasticloadbalancing:RegisterTargets'],
        resources: [props.targetGroup.targetGroupArn],
      }),
    ];
    if (props.instanceRole) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'PassTheInstanceRole',
          actions: ['iam:PassRole'],
          resources: [props.instanceRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': ['ec2.amazonaws.com', 'ec2.amazonaws.com.cn'] } },
        }),
      );
    }

    // 'Default': the role keeps the logical id it had, so an update does not replace it (a new IamFleetRole
    // would replace the whole fleet).
    this.role = new iam.Role(this, 'Default', {
      assumedBy: new iam.ServicePrincipal('spotfleet.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: "Lets the Spot Fleet service launch, tag, terminate and register this stack's fleet instances",
      // Inline, so the fleet can never start before its permissions exist.
      inlinePolicies: { SpotFleet: new iam.PolicyDocument({ statements }) },
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the EC2 statements name "*", each under a condition that scopes it: Describe* (no resource-level ' +
        'permissions) and RequestSpotInstances to the region; RunInstances to this launch template (AWS\'s documented ' +
        'pattern); TerminateInstances and CreateTags to resources tagged with this stack, or to tagging at launch.',
    });
  }
}
