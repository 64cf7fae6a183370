import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface NetworkProps {
  /** Retention of the VPC flow log group. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * Two-AZ VPC with public subnets only: the instances need outbound internet for packages, and public
 * subnets give that without a NAT gateway's hourly cost. Instances stay unreachable from the internet
 * because their security group admits only the load balancer.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
    });
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The role CDK would make trusts vpc-flow-logs with no condition; this one only for this account's flow logs in
    // this region, AWS's confused-deputy guard for flow logs
    // (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
    const stack = Stack.of(this);
    const deliveryRole = new iam.Role(this, 'FlowLogRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ec2', resource: 'vpc-flow-log', resourceName: '*' }) },
        },
      }),
      description: 'Lets VPC Flow Logs write the rejected-traffic log group',
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup, deliveryRole),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
  }
}
