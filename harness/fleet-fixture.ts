// A minimal fleet on moto: one VPC, our target group with fleet instances registered, and a second target group
// (someone else's) holding a foreign instance.
import { CreateSubnetCommand, CreateVpcCommand, EC2Client, RunInstancesCommand, type Tag } from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { motoClientConfig } from '../local/moto-server.js';

export { motoClientConfig };

export interface FleetFixture {
  readonly ec2: EC2Client;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly vpcId: string;
  readonly targetGroupArn: string;
  readonly foreignTargetGroupArn: string;
  readonly fleetInstanceIds: readonly string[];
  readonly foreignInstanceIds: readonly string[];
}

export interface FleetFixtureOptions {
  readonly fleetInstances: number;
  readonly foreignInstances: number;
  /** Tags put on the fleet instances (the workshop baseline finds its target group through one). */
  readonly fleetTags?: (targetGroupArn: string) => Tag[];
}

export async function createFleetFixture(endpoint: string, options: FleetFixtureOptions): Promise<FleetFixture> {
  const ec2 = new EC2Client(motoClientConfig(endpoint));
  const elbv2 = new ElasticLoadBalancingV2Client(motoClientConfig(endpoint));
  const suffix = Math.random().toString(16).slice(2, 8);

  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24' }))).Subnet!.SubnetId!;
  const targetGroup = async (name: string) =>
    (await elbv2.send(new CreateTargetGroupCommand({ Name: `${name}-${suffix}`, Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'instance' })))
      .TargetGroups![0]!.TargetGroupArn!;
  const targetGroupArn = await targetGroup('fleet');
  const foreignTargetGroupArn = await targetGroup('foreign');

  const launch = async (count: number, tags: Tag[]) => {
    if (count === 0) return [];
    const reservation = await ec2.send(
      new RunInstancesCommand({
        // moto does not validate AMI ids unless told to.
        ImageId: 'ami-12c6146b',
        InstanceType: 't3.micro',
        MinCount: count,
        MaxCount: count,
        SubnetId: subnetId,
        ...(tags.length > 0 ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] } : {}),
      }),
    );
    return reservation.Instances!.map((i) => i.InstanceId!);
  };
  const fleetInstanceIds = await launch(options.fleetInstances, options.fleetTags?.(targetGroupArn) ?? []);
  const foreignInstanceIds = await launch(options.foreignInstances, []);

  await register(elbv2, targetGroupArn, fleetInstanceIds);
  await register(elbv2, foreignTargetGroupArn, foreignInstanceIds);
  return { ec2, elbv2, vpcId, targetGroupArn, foreignTargetGroupArn, fleetInstanceIds, foreignInstanceIds };
}

export async function register(elbv2: ElasticLoadBalancingV2Client, targetGroupArn: string, instanceIds: readonly string[]) {
  if (instanceIds.length === 0) return;
  await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: instanceIds.map((Id) => ({ Id })) }));
}

/** Instance ids registered in a target group, as DescribeTargetHealth (without targets) lists them. */
export async function registeredIds(elbv2: ElasticLoadBalancingV2Client, targetGroupArn: string): Promise<string[]> {
  const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  return (health.TargetHealthDescriptions ?? []).map((d) => d.Target!.Id!).sort();
}
