import { scalableTarget, scalingPolicy } from './autoscaling.js';
import { alarm, dashboard } from './cloudwatch.js';
import { table } from './dynamodb.js';
import { flowLog } from './ec2-flow-log.js';
import { launchTemplate } from './ec2-launch-template.js';
import { internetGateway, route, routeTable, subnet, subnetRouteTableAssociation, vpc, vpcGatewayAttachment } from './ec2-network.js';
import { securityGroup, securityGroupEgress, securityGroupIngress } from './ec2-security-group.js';
import { spotFleet } from './ec2-spot-fleet.js';
import { listener, loadBalancer, targetGroup } from './elbv2.js';
import { rule } from './events.js';
import { instanceProfile, policy, role } from './iam.js';
import { key } from './kms.js';
import { eventInvokeConfig, lambdaFunction, permission } from './lambda.js';
import { logGroup } from './logs.js';
import { subscription, topic, topicPolicy } from './sns.js';
import { queue, queuePolicy } from './sqs.js';
import type { Provisioner } from './types.js';

/** Every CloudFormation resource type the local deployer can create, and how. */
export const PROVISIONERS: Readonly<Record<string, Provisioner>> = {
  'AWS::EC2::VPC': vpc,
  'AWS::EC2::Subnet': subnet,
  'AWS::EC2::InternetGateway': internetGateway,
  'AWS::EC2::VPCGatewayAttachment': vpcGatewayAttachment,
  'AWS::EC2::RouteTable': routeTable,
  'AWS::EC2::Route': route,
  'AWS::EC2::SubnetRouteTableAssociation': subnetRouteTableAssociation,
  'AWS::EC2::SecurityGroup': securityGroup,
  'AWS::EC2::SecurityGroupIngress': securityGroupIngress,
  'AWS::EC2::SecurityGroupEgress': securityGroupEgress,
  'AWS::EC2::FlowLog': flowLog,
  'AWS::EC2::LaunchTemplate': launchTemplate,
  'AWS::EC2::SpotFleet': spotFleet,
  'AWS::IAM::Role': role,
  'AWS::IAM::Policy': policy,
  'AWS::IAM::InstanceProfile': instanceProfile,
  'AWS::KMS::Key': key,
  'AWS::Logs::LogGroup': logGroup,
  'AWS::ElasticLoadBalancingV2::LoadBalancer': loadBalancer,
  'AWS::ElasticLoadBalancingV2::TargetGroup': targetGroup,
  'AWS::ElasticLoadBalancingV2::Listener': listener,
  'AWS::DynamoDB::Table': table,
  'AWS::SQS::Queue': queue,
  'AWS::SQS::QueuePolicy': queuePolicy,
  'AWS::SNS::Topic': topic,
  'AWS::SNS::TopicPolicy': topicPolicy,
  'AWS::SNS::Subscription': subscription,
  'AWS::Lambda::Function': lambdaFunction,
  'AWS::Lambda::EventInvokeConfig': eventInvokeConfig,
  'AWS::Lambda::Permission': permission,
  'AWS::Events::Rule': rule,
  'AWS::ApplicationAutoScaling::ScalableTarget': scalableTarget,
  'AWS::ApplicationAutoScaling::ScalingPolicy': scalingPolicy,
  'AWS::CloudWatch::Alarm': alarm,
  'AWS::CloudWatch::Dashboard': dashboard,
};

/** Why a resource type is deliberately not created locally, or undefined when it is (or is unknown). */
export function notEmulatedReason(type: string): string | undefined {
  if (type === 'AWS::CDK::Metadata') return 'CDK analytics metadata: nothing to create';
  if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') {
    return 'custom resource: needs CloudFormation to invoke its Lambda-backed provider, which the local cloud does not run';
  }
  return undefined;
}
