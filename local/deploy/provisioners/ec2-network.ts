import {
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeNetworkAclsCommand,
  DescribeSecurityGroupsCommand,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import { tagSpecifications } from './ec2-tags.js';
import { required, type Provisioner } from './types.js';

export const vpc: Provisioner = async (props, ctx) => {
  const { ec2 } = ctx.clients;
  const out = await ec2.send(
    new CreateVpcCommand({
      CidrBlock: required(props, 'CidrBlock', ctx),
      InstanceTenancy: props.InstanceTenancy as 'default' | undefined,
      TagSpecifications: tagSpecifications(props, 'vpc'),
    }),
  );
  const vpcId = out.Vpc?.VpcId as string;
  // The API takes one attribute per call.
  if (props.EnableDnsSupport !== undefined) {
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsSupport: { Value: props.EnableDnsSupport === true } }));
  }
  if (props.EnableDnsHostnames !== undefined) {
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: props.EnableDnsHostnames === true } }));
  }
  const filters = [{ Name: 'vpc-id', Values: [vpcId] }];
  const groups = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [...filters, { Name: 'group-name', Values: ['default'] }] }));
  const acls = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [...filters, { Name: 'default', Values: ['true'] }] }));
  return {
    physicalId: vpcId,
    attributes: {
      VpcId: vpcId,
      CidrBlock: out.Vpc?.CidrBlock,
      CidrBlockAssociations: (out.Vpc?.CidrBlockAssociationSet ?? []).map((a) => a.AssociationId),
      DefaultSecurityGroup: groups.SecurityGroups?.[0]?.GroupId,
      DefaultNetworkAcl: acls.NetworkAcls?.[0]?.NetworkAclId,
      Ipv6CidrBlocks: [],
    },
  };
};

export const subnet: Provisioner = async (props, ctx) => {
  const { ec2 } = ctx.clients;
  const out = await ec2.send(
    new CreateSubnetCommand({
      VpcId: required(props, 'VpcId', ctx),
      CidrBlock: props.CidrBlock as string | undefined,
      AvailabilityZone: props.AvailabilityZone as string | undefined,
      AvailabilityZoneId: props.AvailabilityZoneId as string | undefined,
      TagSpecifications: tagSpecifications(props, 'subnet'),
    }),
  );
  const subnetId = out.Subnet?.SubnetId as string;
  if (props.MapPublicIpOnLaunch !== undefined) {
    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: subnetId, MapPublicIpOnLaunch: { Value: props.MapPublicIpOnLaunch === true } }));
  }
  return {
    physicalId: subnetId,
    attributes: {
      SubnetId: subnetId,
      AvailabilityZone: out.Subnet?.AvailabilityZone,
      AvailabilityZoneId: out.Subnet?.AvailabilityZoneId,
      CidrBlock: out.Subnet?.CidrBlock,
      VpcId: out.Subnet?.VpcId,
      NetworkAclAssociationId: '',
      Ipv6CidrBlocks: [],
    },
  };
};

export const internetGateway: Provisioner = async (props, ctx) => {
  const out = await ctx.clients.ec2.send(
    new CreateInternetGatewayCommand({ TagSpecifications: tagSpecifications(props, 'internet-gateway') }),
  );
  const id = out.InternetGateway?.InternetGatewayId as string;
  return { physicalId: id, attributes: { InternetGatewayId: id } };
};

export const vpcGatewayAttachment: Provisioner = async (props, ctx) => {
  const vpcId = required(props, 'VpcId', ctx);
  if (props.InternetGatewayId === undefined) {
    ctx.note('only internet gateway attachments are emulated; VpnGatewayId ignored');
    return { physicalId: `${ctx.logicalId}-unattached`, attributes: {} };
  }
  const gatewayId = required(props, 'InternetGatewayId', ctx);
  await ctx.clients.ec2.send(new AttachInternetGatewayCommand({ VpcId: vpcId, InternetGatewayId: gatewayId }));
  // CloudFormation's Ref for an attachment is an opaque id; this one says what it joins.
  return { physicalId: `IGW|${vpcId}`, attributes: {} };
};

export const routeTable: Provisioner = async (props, ctx) => {
  const out = await ctx.clients.ec2.send(
    new CreateRouteTableCommand({ VpcId: required(props, 'VpcId', ctx), TagSpecifications: tagSpecifications(props, 'route-table') }),
  );
  const id = out.RouteTable?.RouteTableId as string;
  return { physicalId: id, attributes: { RouteTableId: id } };
};

export const route: Provisioner = async (props, ctx) => {
  const routeTableId = required(props, 'RouteTableId', ctx);
  await ctx.clients.ec2.send(
    new CreateRouteCommand({
      RouteTableId: routeTableId,
      DestinationCidrBlock: props.DestinationCidrBlock as string | undefined,
      DestinationIpv6CidrBlock: props.DestinationIpv6CidrBlock as string | undefined,
      GatewayId: props.GatewayId as string | undefined,
      NatGatewayId: props.NatGatewayId as string | undefined,
      InstanceId: props.InstanceId as string | undefined,
      NetworkInterfaceId: props.NetworkInterfaceId as string | undefined,
      VpcPeeringConnectionId: props.VpcPeeringConnectionId as string | undefined,
      TransitGatewayId: props.TransitGatewayId as string | undefined,
    }),
  );
  const destination = (props.DestinationCidrBlock ?? props.DestinationIpv6CidrBlock) as string;
  return { physicalId: `${routeTableId}|${destination}`, attributes: { CidrBlock: destination } };
};

export const subnetRouteTableAssociation: Provisioner = async (props, ctx) => {
  const out = await ctx.clients.ec2.send(
    new AssociateRouteTableCommand({ RouteTableId: required(props, 'RouteTableId', ctx), SubnetId: required(props, 'SubnetId', ctx) }),
  );
  const id = out.AssociationId as string;
  return { physicalId: id, attributes: { Id: id } };
};
