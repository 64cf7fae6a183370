import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  RevokeSecurityGroupEgressCommand,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { tagSpecifications } from './ec2-tags.js';
import { asNumber, required, type Props, type Provisioner } from './types.js';

type Rule = Readonly<Record<string, unknown>>;

/**
 * One CloudFormation rule (flat: CidrIp, SourceSecurityGroupId or DestinationSecurityGroupId, ports) as
 * the API's IpPermission. `peerKey` is SourceSecurityGroupId for ingress, DestinationSecurityGroupId for egress.
 */
export function toIpPermission(rule: Rule, peerKey: 'SourceSecurityGroupId' | 'DestinationSecurityGroupId'): IpPermission {
  const description = rule.Description as string | undefined;
  const protocol = String(rule.IpProtocol);
  // Port ranges only mean something for tcp/udp/icmp; "-1" (all traffic) must not carry them.
  const ports = protocol === '-1' ? {} : { FromPort: asNumber(rule.FromPort), ToPort: asNumber(rule.ToPort) };
  const peer = rule[peerKey] as string | undefined;
  const prefixList = (rule.SourcePrefixListId ?? rule.DestinationPrefixListId) as string | undefined;
  return {
    IpProtocol: protocol,
    ...ports,
    ...(rule.CidrIp !== undefined ? { IpRanges: [{ CidrIp: rule.CidrIp as string, Description: description }] } : {}),
    ...(rule.CidrIpv6 !== undefined ? { Ipv6Ranges: [{ CidrIpv6: rule.CidrIpv6 as string, Description: description }] } : {}),
    ...(peer !== undefined ? { UserIdGroupPairs: [{ GroupId: peer, Description: description }] } : {}),
    ...(prefixList !== undefined ? { PrefixListIds: [{ PrefixListId: prefixList, Description: description }] } : {}),
  };
}

const ALL_TRAFFIC: IpPermission = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };

export const securityGroup: Provisioner = async (props, ctx) => {
  const { ec2 } = ctx.clients;
  const out = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: (props.GroupName as string | undefined) ?? ctx.physicalName(255),
      Description: required(props, 'GroupDescription', ctx),
      VpcId: props.VpcId as string | undefined,
      TagSpecifications: tagSpecifications(props, 'security-group'),
    }),
  );
  const groupId = out.GroupId as string;
  const ingress = (props.SecurityGroupIngress as Rule[] | undefined) ?? [];
  if (ingress.length > 0) {
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: ingress.map((r) => toIpPermission(r, 'SourceSecurityGroupId')),
      }),
    );
  }
  const egress = props.SecurityGroupEgress as Rule[] | undefined;
  // As in CloudFormation: listing egress rules replaces the default allow-all rule.
  if (egress !== undefined && props.VpcId !== undefined) {
    await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [ALL_TRAFFIC] }));
    if (egress.length > 0) {
      await ec2.send(
        new AuthorizeSecurityGroupEgressCommand({
          GroupId: groupId,
          IpPermissions: egress.map((r) => toIpPermission(r, 'DestinationSecurityGroupId')),
        }),
      );
    }
  }
  return { physicalId: groupId, attributes: { GroupId: groupId, VpcId: props.VpcId } };
};

function ruleResult(props: Props, direction: string): { physicalId: string; attributes: Record<string, unknown> } {
  const id = `${String(props.GroupId)}|${direction}|${String(props.IpProtocol)}|${String(props.FromPort)}-${String(props.ToPort)}`;
  return { physicalId: id, attributes: { Id: id } };
}

export const securityGroupIngress: Provisioner = async (props, ctx) => {
  await ctx.clients.ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: required(props, 'GroupId', ctx),
      IpPermissions: [toIpPermission(props, 'SourceSecurityGroupId')],
    }),
  );
  return ruleResult(props, 'ingress');
};

export const securityGroupEgress: Provisioner = async (props, ctx) => {
  await ctx.clients.ec2.send(
    new AuthorizeSecurityGroupEgressCommand({
      GroupId: required(props, 'GroupId', ctx),
      IpPermissions: [toIpPermission(props, 'DestinationSecurityGroupId')],
    }),
  );
  return ruleResult(props, 'egress');
};
