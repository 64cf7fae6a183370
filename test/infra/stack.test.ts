import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractAppEnvironment } from '../../userdata/render.js';
import { SESSION_MANAGER_ACTIONS } from '../../infra/launch-template.js';
import { synthesize } from '../support/synth.js';

type Resource = { Properties: Record<string, any>; [k: string]: unknown };

/** The app's environment as the launch template's user data sets it. */
function appEnvironmentOf(template: Template): Record<string, string> {
  const launchTemplate = only(template, 'AWS::EC2::LaunchTemplate').Properties;
  return extractAppEnvironment(Buffer.from(launchTemplate.LaunchTemplateData.UserData['Fn::Base64'], 'utf8').toString('utf8'));
}

function fleetRole(template: Template): Resource {
  const roles = Object.values(template.findResources('AWS::IAM::Role')) as Resource[];
  return roles.find((r) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('spotfleet.amazonaws.com'))!;
}

function only(template: Template, type: string): Resource {
  const found = Object.values(template.findResources(type)) as Resource[];
  expect(found, type).toHaveLength(1);
  return found[0]!;
}

describe('SpotWeb stack (defaults)', () => {
  let template: Template;
  beforeAll(() => {
    template = synthesize().template;
  });

  it('spans two AZs with public subnets only, no NAT gateway, and logs rejected flows', () => {
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true });
    const azs = Object.values(template.findResources('AWS::EC2::Subnet')).map((s: any) => JSON.stringify(s.Properties.AvailabilityZone));
    expect(new Set(azs).size).toBe(2);
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'REJECT', LogDestinationType: 'cloud-watch-logs' });
  });

  it('trusts VPC Flow Logs only for flow logs of this account (confused deputy)', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [
          Match.objectLike({
            Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ],
      }),
    });
  });

  it('has an internet-facing ALB with an HTTP listener forwarding to the instance target group', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing', Type: 'application' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
  });

  it('sets the ALB idle timeout, and the app keep-alive above it through the user data', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'idle_timeout.timeout_seconds', Value: '60' }]),
    });
    expect(appEnvironmentOf(template)).toMatchObject({ KEEP_ALIVE_TIMEOUT_MS: '65000', HEADERS_TIMEOUT_MS: '66000' });
  });

  it('creates the scaling policy and the fleet after the listener that attaches the target group (ordering)', () => {
    const listeners = Object.keys(template.findResources('AWS::ElasticLoadBalancingV2::Listener'));
    expect(listeners).toHaveLength(1);
    for (const type of ['AWS::ApplicationAutoScaling::ScalingPolicy', 'AWS::EC2::SpotFleet']) {
      expect(only(template, type).DependsOn, type).toEqual(expect.arrayContaining(listeners));
    }
  });

  it('drains deregistered targets for 120 s and health-checks the app path quickly', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'instance',
      Port: 8000,
      HealthCheckPath: '/health',
      HealthCheckIntervalSeconds: 5,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '120' }]),
    });
  });

  it('admits the app port to instances from the ALB security group only', () => {
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')) as Resource[];
    expect(ingress).toHaveLength(1);
    expect(ingress[0]!.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 8000, ToPort: 8000 });
    expect(ingress[0]!.Properties.SourceSecurityGroupId).toBeDefined();
    expect(ingress[0]!.Properties.CidrIp).toBeUndefined();
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup')) as Resource[];
    const instanceGroup = groups.find((g) => String(g.Properties.GroupDescription).includes('instances'))!;
    expect(instanceGroup.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('launches Amazon Linux 2023 with IMDSv2 required and an encrypted gp3 root', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        // An instance that powers itself off (it cannot serve) terminates, so the fleet replaces it.
        InstanceInitiatedShutdownBehavior: 'terminate',
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1, InstanceMetadataTags: 'disabled' },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: Match.objectLike({ VolumeType: 'gp3', Encrypted: true }) }],
        UserData: Match.anyValue(),
      }),
    });
    const params = template.toJSON().Parameters as Record<string, { Default?: string }>;
    expect(Object.values(params).map((p) => p.Default)).toContain('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64');
  });

  it('gives instances a role with exactly the Session Manager agent actions and no managed policy', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Role')) as Resource[];
    const instanceRole = roles.find((r) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('ec2.amazonaws.com'))!;
    expect(instanceRole.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = instanceRole.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    expect(statements.flatMap((s: any) => [s.Action].flat()).sort()).toEqual([...SESSION_MANAGER_ACTIONS].sort());
    // Nothing else attaches to it either.
    const attached = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) => JSON.stringify(p.Properties.Roles).includes('InstanceRole'));
    expect(attached).toEqual([]);
  });

  it('requests a maintained, diversified Spot Fleet over >=3 types x both subnets, registered to the target group', () => {
    const config = only(template, 'AWS::EC2::SpotFleet').Properties.SpotFleetRequestConfigData;
    expect(config).toMatchObject({ Type: 'maintain', AllocationStrategy: 'diversified', TargetCapacity: 2, ReplaceUnhealthyInstances: true });
    const overrides = config.LaunchTemplateConfigs[0].Overrides as Array<{ InstanceType: string; SubnetId: unknown }>;
    const types = new Set(overrides.map((o) => o.InstanceType));
    const subnets = new Set(overrides.map((o) => JSON.stringify(o.SubnetId)));
    expect(types.size).toBeGreaterThanOrEqual(3);
    expect(subnets.size).toBe(2);
    expect(overrides).toHaveLength(types.size * subnets.size);
    expect(new Set(overrides.map((o) => `${o.InstanceType}@${JSON.stringify(o.SubnetId)}`)).size).toBe(overrides.length);
    // Neighbours differ in type and subnet, so a round robin over the list spreads across both.
    expect(overrides[0]!.InstanceType).not.toBe(overrides[1]!.InstanceType);
    expect(overrides[0]!.SubnetId).not.toEqual(overrides[1]!.SubnetId);
    expect(config.LoadBalancersConfig.TargetGroupsConfig.TargetGroups).toEqual([{ Arn: { Ref: expect.stringMatching(/TargetGroup/) } }]);
    expect(config.SpotMaintenanceStrategies).toBeUndefined();
  });

  it('tags fleet instances with the stack name', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        TagSpecifications: Match.arrayWith([
          { ResourceType: 'instance', Tags: Match.arrayWith([{ Key: 'spotweb:stack', Value: 'SpotWeb' }]) },
        ]),
      }),
    });
  });

  it('gives the Spot Fleet a role of its own: every action of the AWS tagging policy, each scoped to this stack', () => {
    const role = fleetRole(template);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const trust = role.Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toEqual([
      expect.objectContaining({ Principal: { Service: 'spotfleet.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }),
    ]);
    const statements = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement) as Array<Record<string, any>>;
    const actions = new Set(statements.flatMap((s) => [s.Action].flat()));
    // AmazonEC2SpotFleetTaggingRole v5, less the Classic Load Balancer registration this fleet never uses.
    expect([...actions].sort()).toEqual(
      [
        'ec2:CreateTags', 'ec2:DescribeImages', 'ec2:DescribeInstanceStatus', 'ec2:DescribeSubnets', 'ec2:RequestSpotInstances',
        'ec2:RunInstances', 'ec2:TerminateInstances', 'elasticloadbalancing:RegisterTargets', 'iam:PassRole',
      ].sort(),
    );
    const of = (action: string) => statements.filter((s) => [s.Action].flat().includes(action));
    // Nothing is granted on "*" without a condition.
    expect(statements.filter((s) => s.Resource === '*' && !s.Condition)).toEqual([]);
    expect(JSON.stringify(of('ec2:RunInstances')[0]!.Condition)).toMatch(/ec2:LaunchTemplate.*launch-template\/.*InstancesLaunchTemplate/);
    expect(of('ec2:TerminateInstances')[0]!.Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' }, 'aws:ResourceTag/spotweb:stack': 'SpotWeb' } });
    for (const s of of('ec2:CreateTags')) expect(s.Condition).toBeDefined();
    expect(of('iam:PassRole')[0]!.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/InstanceRole/), 'Arn'] });
    expect(of('elasticloadbalancing:RegisterTargets')[0]!.Resource).toEqual({ Ref: expect.stringMatching(/TargetGroup/) });
  });

  it('scales the fleet capacity 2..10 by target tracking on ALB requests per target', () => {
    const target = only(template, 'AWS::ApplicationAutoScaling::ScalableTarget').Properties;
    expect(target).toMatchObject({ ServiceNamespace: 'ec2', ScalableDimension: 'ec2:spot-fleet-request:TargetCapacity', MinCapacity: 2, MaxCapacity: 10 });
    expect(JSON.stringify(target.ResourceId)).toContain('spot-fleet-request/');
    expect(JSON.stringify(target.RoleARN)).toContain('AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest');
    const policy = only(template, 'AWS::ApplicationAutoScaling::ScalingPolicy').Properties;
    expect(policy.PolicyType).toBe('TargetTrackingScaling');
    const tracking = policy.TargetTrackingScalingPolicyConfiguration;
    expect(tracking).toMatchObject({ TargetValue: 600, ScaleOutCooldown: 60, ScaleInCooldown: 300 });
    expect(tracking.PredefinedMetricSpecification.PredefinedMetricType).toBe('ALBRequestCountPerTarget');
    // app/<alb>/<id>/targetgroup/<tg>/<id>: built from the ALB's and the target group's full names.
    const label = JSON.stringify(tracking.PredefinedMetricSpecification.ResourceLabel);
    expect(label).toContain('LoadBalancerFullName');
    expect(label).toContain('TargetGroupFullName');
  });

  it('routes the interruption warning to the handler and to the topic, with retries and a DLQ', () => {
    const rule = only(template, 'AWS::Events::Rule').Properties;
    expect(rule.EventPattern).toEqual({ source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] });
    expect(rule.Targets).toHaveLength(2);
    for (const target of rule.Targets) {
      expect(target.DeadLetterConfig.Arn['Fn::GetAtt'][0]).toMatch(/DeadLetterQueue/);
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 120 });
    }
    const lambdaTarget = rule.Targets.find((t: any) => JSON.stringify(t.Arn).includes('Handler'));
    const topicTarget = rule.Targets.find((t: any) => JSON.stringify(t.Arn).includes('Topic'));
    expect(lambdaTarget.InputTransformer).toBeUndefined();
    expect(topicTarget.InputTransformer.InputPathsMap).toEqual({
      instance: '$.detail.instance-id',
      action: '$.detail.instance-action',
      time: '$.time',
      region: '$.region',
    });
    // Plain text, not a JSON string: EventBridge would deliver a quoted template with its quotes.
    expect(topicTarget.InputTransformer.InputTemplate).toMatch(/^AWS Spot interruption warning: instance <instance> /);
  });

  /** The interruption path's two functions, found by their descriptions (infra/interruption-handler.ts). */
  const handlerFunction = () => functionEntry(/^Deregisters Spot instances/);
  const confirmationFunction = () => functionEntry(/^Tells a person once per instance/);
  function functionEntry(description: RegExp): [string, Resource] {
    const found = (Object.entries(template.findResources('AWS::Lambda::Function')) as Array<[string, Resource]>).filter(([, f]) =>
      description.test(String(f.Properties.Description ?? '')),
    );
    expect(found).toHaveLength(1);
    return found[0]!;
  }
  /** The statements of the inline policy attached to the role `roleId` names (by logical id prefix). */
  function roleStatements(roleId: RegExp): Array<{ Action: string | string[]; Resource: unknown }> {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
    const found = policies.filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => roleId.test(r.Ref)));
    expect(found).toHaveLength(1);
    return found[0]!.Properties.PolicyDocument.Statement;
  }
  const actionsOf = (statements: ReadonlyArray<{ Action: string | string[] }>) => statements.flatMap((s) => [s.Action].flat());

  it('runs the handler and its drain confirmation on the latest Node runtime, each with its configuration, log group and DLQ', () => {
    const [handlerId, fn] = handlerFunction();
    const [confirmationId, confirmation] = confirmationFunction();
    for (const f of [fn, confirmation]) {
      expect(f.Properties.Runtime).toMatch(/^nodejs\d+\.x$/);
      expect(f.Properties.LoggingConfig.LogGroup).toBeDefined();
      expect(f.Properties.DeadLetterConfig.TargetArn['Fn::GetAtt'][0]).toMatch(/DeadLetterQueue/);
      expect(f.Properties.Timeout).toBe(60);
    }
    expect(fn.Properties.LoggingConfig.LogGroup).not.toEqual(confirmation.Properties.LoggingConfig.LogGroup);
    expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual([
      'DRAIN_ON_REBALANCE',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
      'TARGET_GROUP_ARNS',
    ]);
    expect(fn.Properties.Environment.Variables).toMatchObject({ DRAIN_ON_REBALANCE: 'false' });
    expect(Object.keys(confirmation.Properties.Environment.Variables).sort()).toEqual([
      'CONFIRMATION_TABLE_NAME',
      'DEREGISTRATION_DELAY_SECONDS',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
      'TARGET_GROUP_ARNS',
      'TOPIC_ARN',
    ]);
    expect(confirmation.Properties.Environment.Variables.TARGET_GROUP_ARNS).toEqual(fn.Properties.Environment.Variables.TARGET_GROUP_ARNS);
    expect(confirmation.Properties.Environment.Variables).toMatchObject({ DEREGISTRATION_DELAY_SECONDS: '120', POWERTOOLS_SERVICE_NAME: 'spotweb-drain-confirmation' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    // Lambda's asynchronous retries (EventBridge invokes asynchronously), bounded by the warning's life; the
    // timeout leaves the handler room for its own retries within one invocation. Each success hands its record to
    // the confirmation function, whose own retries may run for an hour.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: handlerId },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 120,
      Qualifier: '$LATEST',
      DestinationConfig: { OnSuccess: { Destination: { 'Fn::GetAtt': [confirmationId, 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: confirmationId },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      Qualifier: '$LATEST',
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
  });

  it('scopes the handler IAM: deregistration on this target group only, invoking its confirmation function only, nothing mutating on "*"', () => {
    const [confirmationId] = confirmationFunction();
    const statements = roleStatements(/^InterruptionsHandlerRole/);
    const byAction = new Map(statements.flatMap((s) => [s.Action].flat().map((a) => [a, s.Resource] as const)));
    expect(byAction.get('elasticloadbalancing:DeregisterTargets')).toEqual({ Ref: expect.stringMatching(/TargetGroup/) });
    // The on-success destination, exactly: not CDK's LambdaDestination grant on every version and alias (`:*`).
    expect(byAction.get('lambda:InvokeFunction')).toEqual({ 'Fn::GetAtt': [confirmationId, 'Arn'] });
    // The confirmation is not the handler's: no topic, no table.
    expect(actionsOf(statements).filter((a) => /^(sns|dynamodb|kms):/.test(a))).toEqual([]);
    const wildcard = statements.filter((s) => s.Resource === '*').flatMap((s) => [s.Action].flat());
    expect(wildcard).toEqual(['elasticloadbalancing:DescribeTargetHealth']);
    expect(actionsOf(statements).filter((a) => a.includes('*'))).toEqual([]);
    for (const description of ['spotweb interruption handler', 'spotweb drain confirmation']) {
      const role = Object.values(template.findResources('AWS::IAM::Role')).find((r: any) => r.Properties.Description === description) as Resource;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('scopes the drain confirmation IAM: Publish on this topic, UpdateItem on its table, nothing on "*"', () => {
    const statements = roleStatements(/^InterruptionsHandlerConfirmationRole/);
    const byAction = new Map(statements.flatMap((s) => [s.Action].flat().map((a) => [a, s.Resource] as const)));
    expect(byAction.get('sns:Publish')).toEqual({ Ref: expect.stringMatching(/Topic/) });
    expect(byAction.get('dynamodb:UpdateItem')).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/Confirmations/), 'Arn'] });
    // Exactly the one DynamoDB action it calls: no reads, PutItem, DeleteItem or batch writes.
    expect(actionsOf(statements).filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:UpdateItem']);
    expect(actionsOf(statements).filter((a) => a.startsWith('elasticloadbalancing:') || a.startsWith('lambda:'))).toEqual([]);
    expect(statements.filter((s) => s.Resource === '*')).toEqual([]);
  });

  it("keeps the drain confirmations in an on-demand table keyed by instance id, with TTL and point-in-time recovery, named to the handler", () => {
    const [[logicalId, table]] = Object.entries(template.findResources('AWS::DynamoDB::Table')) as Array<[string, Resource & { DeletionPolicy?: string }]>;
    expect(Object.keys(template.findResources('AWS::DynamoDB::Table'))).toHaveLength(1);
    expect(table.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'instanceId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'instanceId', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(table.DeletionPolicy).toBe('Delete');
    const [, fn] = confirmationFunction();
    expect(fn.Properties.Environment.Variables.CONFIRMATION_TABLE_NAME).toEqual({ Ref: logicalId });
  });

  it('encrypts the topic with a rotated customer-managed key that EventBridge and CloudWatch alarms of this account may use', () => {
    const key = only(template, 'AWS::KMS::Key').Properties;
    expect(key.EnableKeyRotation).toBe(true);
    const topic = only(template, 'AWS::SNS::Topic').Properties;
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/Key/), 'Arn'] });
    const services = (key.KeyPolicy.Statement as any[]).filter((s) => s.Principal.Service);
    expect(services.map((s) => s.Principal.Service).sort()).toEqual(['cloudwatch.amazonaws.com', 'events.amazonaws.com']);
    for (const s of services) {
      expect(s.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
      expect(s.Condition.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
      expect(JSON.stringify(s.Condition.ArnLike['aws:SourceArn'])).toMatch(/:(cloudwatch|events):/);
    }
  });

  it('lets EventBridge publish to the topic only for the warning rule of this account', () => {
    const policy = only(template, 'AWS::SNS::TopicPolicy').Properties.PolicyDocument;
    const grants = (policy.Statement as any[]).filter((s) => s.Effect === 'Allow');
    const events = grants.find((s) => s.Principal.Service === 'events.amazonaws.com');
    expect(events.Condition).toEqual({
      ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [expect.stringMatching(/WarningRule/), 'Arn'] } },
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    });
    // Every service principal the topic trusts is conditioned on this account.
    for (const s of grants) expect(s.Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
  });

  it('gives the drain confirmation sns:Publish and the two KMS actions on this topic and key only', () => {
    const kms = (roleStatements(/^InterruptionsHandlerConfirmationRole/) as any[]).find((s) => JSON.stringify(s.Action).includes('kms:'));
    expect([...kms.Action].sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(kms.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/TopicKey/), 'Arn'] });
  });

  it("gives CDK's custom-resource provider a log group the stack owns, with retention, removed with the stack", () => {
    const fns = Object.entries(template.findResources('AWS::Lambda::Function')) as Array<[string, Resource]>;
    const providers = fns.filter(([id]) => id.includes('CustomResourceProvider'));
    expect(providers.length).toBeGreaterThan(0);
    const groups = template.findResources('AWS::Logs::LogGroup') as Record<string, Resource & { DeletionPolicy?: string }>;
    for (const [, fn] of providers) {
      const ref = fn.Properties.LoggingConfig?.LogGroup?.Ref as string;
      expect(groups[ref]?.Properties.RetentionInDays).toBe(30);
      expect(groups[ref]?.DeletionPolicy).toBe('Delete');
    }
  });

  it('enforces TLS on the topic', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      }),
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('outputs the URL, fleet, target group, topic and handler', () => {
    const outputs = Object.keys(template.toJSON().Outputs);
    expect(outputs).toEqual(
      expect.arrayContaining(['LoadBalancerUrl', 'FleetRequestId', 'TargetGroupArn', 'TopicArn', 'HandlerFunctionName', 'ConfirmationFunctionName', 'DeadLetterQueueUrl']),
    );
  });
});

describe('SpotWeb stack (configured)', () => {
  it('carries a configured idle timeout to the ALB and, above it, to the app', () => {
    const { template } = synthesize({ idleTimeoutSeconds: '300' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'idle_timeout.timeout_seconds', Value: '300' }]),
    });
    expect(appEnvironmentOf(template)).toMatchObject({ KEEP_ALIVE_TIMEOUT_MS: '305000', HEADERS_TIMEOUT_MS: '306000' });
  });

  it('serves HTTPS with a redirect when a certificate is configured', () => {
    const { template } = synthesize({ certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Port: '443', Protocol: 'HTTPS' }) })],
    });
  });

  it('honours allocation strategy, capacities, delay, rebalance and email', () => {
    const { template } = synthesize({
      allocationStrategy: 'priceCapacityOptimized',
      minCapacity: '1',
      maxCapacity: '5',
      deregistrationDelaySeconds: '90',
      drainOnRebalance: 'true',
      capacityRebalance: 'true',
      notificationEmail: 'ops@example.com',
    });
    const config = only(template, 'AWS::EC2::SpotFleet').Properties.SpotFleetRequestConfigData;
    expect(config).toMatchObject({ AllocationStrategy: 'priceCapacityOptimized', TargetCapacity: 1 });
    // Draining on rebalance is retired by the fleet: launch-before-terminate, after the 90 s drain and a minute's margin.
    expect(config.SpotMaintenanceStrategies).toEqual({
      CapacityRebalance: { ReplacementStrategy: 'launch-before-terminate', TerminationDelay: 150 },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 5 });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '90' }]),
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as Resource[];
    const rebalance = rules.find((r) => JSON.stringify(r.Properties.EventPattern).includes('Rebalance'))!;
    expect(rebalance.Properties.Targets).toHaveLength(1);
    expect(JSON.stringify(rebalance.Properties.Targets[0].Arn)).toContain('Handler');
  });

  it('gives instances no role, and the fleet nothing to pass, when Session Manager is off', () => {
    const { template } = synthesize({ sessionManager: 'false' });
    const roles = Object.values(template.findResources('AWS::IAM::Role')) as Resource[];
    expect(roles.filter((r) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('ec2.amazonaws.com'))).toEqual([]);
    template.resourceCountIs('AWS::IAM::InstanceProfile', 0);
    expect(JSON.stringify(fleetRole(template).Properties.Policies)).not.toContain('iam:PassRole');
  });
});

describe('capacity rebalancing without draining', () => {
  it('can keep the old instance with launch, which AWS never terminates', () => {
    const { template } = synthesize({ capacityRebalance: 'true', rebalanceReplacementStrategy: 'launch' });
    const config = only(template, 'AWS::EC2::SpotFleet').Properties.SpotFleetRequestConfigData;
    expect(config.SpotMaintenanceStrategies).toEqual({ CapacityRebalance: { ReplacementStrategy: 'launch' } });
  });

  it('leaves the fleet without maintenance strategies when off', () => {
    const { template } = synthesize({});
    expect(only(template, 'AWS::EC2::SpotFleet').Properties.SpotFleetRequestConfigData.SpotMaintenanceStrategies).toBeUndefined();
  });
});

describe('interleavePools', () => {
  it('lists every pair once, neighbours differing, for uneven counts too', async () => {
    const { interleavePools } = await import('../../infra/spot-fleet.js');
    const pairs = interleavePools(['a', 'b', 'c'], [1, 2]);
    expect(pairs).toEqual([['a', 1], ['b', 2], ['c', 1], ['a', 2], ['b', 1], ['c', 2]]);
    expect(interleavePools(['a', 'b', 'c', 'd'], [1, 2, 3]).length).toBe(12);
    expect(new Set(interleavePools(['a', 'b', 'c', 'd'], [1, 2, 3]).map(String)).size).toBe(12);
  });
});
