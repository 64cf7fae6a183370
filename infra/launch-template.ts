import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * What Session Manager needs on the instance, and only that: the agent registers itself and opens the session
 * channels. AWS's own minimal Session Manager profile grants exactly these, on "*"
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCloud9SSMInstanceProfile.html). Not
 * `AmazonSSMManagedInstanceCore`, which adds every SSM parameter and document of the account, inventory and Run
 * Command.
 */
export const SESSION_MANAGER_ACTIONS = [
  'ssm:UpdateInstanceInformation',
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
] as const;

export interface WebLaunchTemplateProps {
  readonly securityGroup: ec2.ISecurityGroup;
  /** Give instances a role for Session Manager; without it instances have no role at all. @default true */
  readonly sessionManager?: boolean;
  /** The boot script (bash) every instance runs. */
  readonly userData: string;
}

/**
 * What every fleet instance boots from: Amazon Linux 2023 (latest, resolved through SSM at deploy time),
 * IMDSv2 only, an encrypted gp3 root volume, and a role that allows Session Manager and nothing else (or no role
 * when Session Manager is off).
 */
export class WebLaunchTemplate extends Construct {
  readonly launchTemplate: ec2.LaunchTemplate;
  /** The instances' role; undefined when Session Manager is off. */
  readonly instanceRole?: iam.Role;

  constructor(scope: Construct, id: string, props: WebLaunchTemplateProps) {
    super(scope, id);
    if (props.sessionManager ?? true) {
      this.instanceRole = new iam.Role(this, 'InstanceRole', {
        assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
        description: 'spotweb instances: Session Manager access only',
        inlinePolicies: {
          SessionManager: new iam.PolicyDocument({
            statements: [new iam.PolicyStatement({ actions: [...SESSION_MANAGER_ACTIONS], resources: ['*'] })],
          }),
        },
      });
      Validations.of(this.instanceRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only the five Session Manager agent actions, on "*" as in AWS\'s minimal Session Manager profile: the ' +
          'ssmmessages actions have no resource types, and the agent registers before it knows its managed-instance id.',
      });
    }

    const userData = ec2.UserData.custom(props.userData);
    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.X86_64 }),
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: false,
      role: this.instanceRole,
      securityGroup: props.securityGroup,
      userData,
      // An instance that cannot serve powers itself off (failed bootstrap, app given up on by systemd: see
      // userdata/render.ts); this makes that a termination, which the `maintain` fleet replaces. EC2's default is
      // stop ("By default, when you initiate a shutdown from an Amazon EBS backed instance ... the instance stops",
      // EC2 user guide, "Change instance initiated shutdown behavior"); the launch template schema accepts
      // stop | terminate (cfn-lint's AWS::EC2::LaunchTemplate schema). Not verified here: whether Spot Fleet passes
      // this launch template field on to the instances it launches, or ignores it as it does some others. If it were
      // ignored, the instance would stop instead; whether a `maintain` fleet replaces a stopped member is not
      // confirmed either.
      instanceInitiatedShutdownBehavior: ec2.InstanceInitiatedShutdownBehavior.TERMINATE,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(8, {
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            encrypted: true,
            deleteOnTermination: true,
          }),
        },
      ],
    });
  }
}
