import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ModifyLoadBalancerAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  type Action,
  type Certificate,
  type TargetGroupAttribute,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { asNumber, required, tagsOf, type Provisioner } from './types.js';

/** `app/<name>/<id>` (or `net/…`) from `arn:…:loadbalancer/app/<name>/<id>`: CloudWatch's dimension value. */
export function loadBalancerFullName(arn: string): string {
  const match = /:loadbalancer\/(.+)$/.exec(arn);
  if (!match) throw new Error(`not a load balancer ARN: ${arn}`);
  return match[1] as string;
}

/** `targetgroup/<name>/<id>` from `arn:…:targetgroup/<name>/<id>`. */
export function targetGroupFullName(arn: string): string {
  const match = /:(targetgroup\/.+)$/.exec(arn);
  if (!match) throw new Error(`not a target group ARN: ${arn}`);
  return match[1] as string;
}

type KeyValue = { Key: string; Value: string };

export const loadBalancer: Provisioner = async (props, ctx) => {
  const { elbv2 } = ctx.clients;
  const name = (props.Name as string | undefined) ?? ctx.physicalName(32, { alphanumericAndHyphens: true });
  const out = await elbv2.send(
    new CreateLoadBalancerCommand({
      Name: name,
      Subnets: props.Subnets as string[] | undefined,
      SubnetMappings: props.SubnetMappings as never,
      SecurityGroups: props.SecurityGroups as string[] | undefined,
      Scheme: props.Scheme as 'internet-facing' | 'internal' | undefined,
      Type: props.Type as 'application' | 'network' | undefined,
      IpAddressType: props.IpAddressType as 'ipv4' | undefined,
      Tags: tagsOf(props),
    }),
  );
  const lb = out.LoadBalancers?.[0];
  const arn = lb?.LoadBalancerArn as string;
  const attributes = (props.LoadBalancerAttributes as KeyValue[] | undefined) ?? [];
  if (attributes.length > 0) {
    await elbv2.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes: attributes }));
  }
  return {
    physicalId: arn,
    attributes: {
      LoadBalancerArn: arn,
      DNSName: lb?.DNSName,
      CanonicalHostedZoneID: lb?.CanonicalHostedZoneId,
      LoadBalancerFullName: loadBalancerFullName(arn),
      LoadBalancerName: lb?.LoadBalancerName,
      SecurityGroups: lb?.SecurityGroups ?? [],
    },
  };
};

export const targetGroup: Provisioner = async (props, ctx) => {
  const { elbv2 } = ctx.clients;
  const name = (props.Name as string | undefined) ?? ctx.physicalName(32, { alphanumericAndHyphens: true });
  const matcher = props.Matcher as { HttpCode?: string; GrpcCode?: string } | undefined;
  const out = await elbv2.send(
    new CreateTargetGroupCommand({
      Name: name,
      Protocol: props.Protocol as 'HTTP' | undefined,
      ProtocolVersion: props.ProtocolVersion as string | undefined,
      Port: asNumber(props.Port),
      VpcId: props.VpcId as string | undefined,
      TargetType: props.TargetType as 'instance' | undefined,
      HealthCheckEnabled: props.HealthCheckEnabled as boolean | undefined,
      HealthCheckProtocol: props.HealthCheckProtocol as 'HTTP' | undefined,
      HealthCheckPort: props.HealthCheckPort as string | undefined,
      HealthCheckPath: props.HealthCheckPath as string | undefined,
      HealthCheckIntervalSeconds: asNumber(props.HealthCheckIntervalSeconds),
      HealthCheckTimeoutSeconds: asNumber(props.HealthCheckTimeoutSeconds),
      HealthyThresholdCount: asNumber(props.HealthyThresholdCount),
      UnhealthyThresholdCount: asNumber(props.UnhealthyThresholdCount),
      Matcher: matcher,
      IpAddressType: props.IpAddressType as 'ipv4' | undefined,
      Tags: tagsOf(props),
    }),
  );
  const tg = out.TargetGroups?.[0];
  const arn = tg?.TargetGroupArn as string;
  const attributes = (props.TargetGroupAttributes as TargetGroupAttribute[] | undefined) ?? [];
  if (attributes.length > 0) await elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: attributes }));
  const targets = (props.Targets as Array<{ Id: string; Port?: number }> | undefined) ?? [];
  if (targets.length > 0) ctx.note('Targets listed on the target group are not registered locally');
  return {
    physicalId: arn,
    attributes: {
      TargetGroupArn: arn,
      TargetGroupFullName: targetGroupFullName(arn),
      TargetGroupName: tg?.TargetGroupName,
      LoadBalancerArns: tg?.LoadBalancerArns ?? [],
    },
  };
};

export const listener: Provisioner = async (props, ctx) => {
  const out = await ctx.clients.elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: required(props, 'LoadBalancerArn', ctx),
      Port: asNumber(props.Port),
      Protocol: props.Protocol as 'HTTP' | undefined,
      DefaultActions: required<Action[]>(props, 'DefaultActions', ctx, 'array'),
      Certificates: props.Certificates as Certificate[] | undefined,
      SslPolicy: props.SslPolicy as string | undefined,
      AlpnPolicy: props.AlpnPolicy as string[] | undefined,
    }),
  );
  const arn = out.Listeners?.[0]?.ListenerArn as string;
  return { physicalId: arn, attributes: { ListenerArn: arn } };
};
