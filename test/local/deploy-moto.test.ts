import {
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSpotFleetInstancesCommand,
  DescribeSpotFleetRequestsCommand,
  DescribeSubnetsCommand,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { DescribeContinuousBackupsCommand, DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand } from '@aws-sdk/client-application-auto-scaling';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { DescribeKeyCommand, GetKeyRotationStatusCommand } from '@aws-sdk/client-kms';
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../infra/config.js';
import { OUTPUTS } from '../../infra/spot-web-stack.js';
import { createClients, destroyClients, type AwsClients } from '../../local/deploy/clients.js';
import { DeployError, deployTemplate, type DeployedStack, type ProgressEvent } from '../../local/deploy/deploy.js';
import { dependencyGraph, type TemplateResource } from '../../local/deploy/order.js';
import { startMoto, type MotoServer } from '../../local/moto-server.js';
import { synthesize } from '../support/synth.js';

const REGION = 'us-east-1';
const TARGET_CAPACITY = 4;

describe('deployTemplate into moto (the real synthesized app)', () => {
  let moto: MotoServer;
  let outdir: string;
  let clients: AwsClients;
  let stack: DeployedStack;
  let stackName: string;
  let template: Record<string, { Resources: Record<string, { Type: string }> }>[string];
  const progress: ProgressEvent[] = [];

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'spotweb-deploy-'));
    const [server] = await Promise.all([startMoto()]);
    moto = server;
    const { app, stack: cdkStack } = synthesize(
      // As the CDK CLI does, so the template names each Lambda's asset folder.
      { targetCapacity: String(TARGET_CAPACITY), 'aws:cdk:enable-asset-metadata': true },
      { bundle: true, outdir },
    );
    const assembly = app.synth();
    stackName = cdkStack.stackName;
    template = assembly.getStackByName(stackName).template;
    clients = createClients({ endpoint: moto.endpoint, region: REGION });
    const started = performance.now();
    stack = await deployTemplate({
      template,
      assemblyDir: outdir,
      stackName: cdkStack.stackName,
      endpoint: moto.endpoint,
      region: REGION,
      onProgress: (e) => progress.push(e),
    });
    const ms = performance.now() - started;
    console.log(`deployTemplate: ${Object.keys(stack.resources).length} resources in ${ms.toFixed(0)} ms`);
    console.log('skipped:', stack.skipped, '\nnotes:', stack.notes, '\nnot applicable:', stack.notApplicable);
  });

  afterAll(async () => {
    if (clients) destroyClients(clients);
    await moto?.stop();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  const physicalIdOf = (type: string) => {
    const found = Object.values(stack.resources).filter((r) => r.type === type);
    expect(found).toHaveLength(1);
    return found[0]!.physicalId;
  };

  it('accounts for every template resource: created or skipped with a reason', () => {
    const ids = Object.keys(template.Resources);
    const skipped = new Map(stack.skipped.map((s) => [s.logicalId, s]));
    for (const id of ids) expect(id in stack.resources || skipped.has(id), id).toBe(true);
    const notEmulated = ids.filter((id) => /^Custom::|^AWS::CDK::Metadata$/.test(template.Resources[id]!.Type));
    expect(notEmulated).toContain('NetworkVpcRestrictDefaultSecurityGroupCustomResource491E144D');
    expect([...skipped.keys()].sort()).toEqual(notEmulated.sort());
    expect(stack.notApplicable.map((n) => n.name).sort()).toEqual(['BootstrapVersion', 'CheckBootstrapVersion']);
    const created = progress.filter((e) => e.status === 'created').map((e) => e.logicalId);
    expect(created.sort()).toEqual(Object.keys(stack.resources).sort());
  });

  it('creates two subnets in two availability zones', async () => {
    const vpcId = physicalIdOf('AWS::EC2::VPC');
    const out = await clients.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    expect(out.Subnets).toHaveLength(2);
    expect(new Set(out.Subnets!.map((s) => s.AvailabilityZone)).size).toBe(2);
    expect(out.Subnets!.every((s) => s.MapPublicIpOnLaunch)).toBe(true);
  });

  it('resolves the AMI parameter through SSM (moto preloads the public AL2023 parameters)', async () => {
    const ami = await clients.ssm.send(new GetParameterCommand({ Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64' }));
    const versions = await clients.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: physicalIdOf('AWS::EC2::LaunchTemplate'), Versions: ['$Latest'] }),
    );
    expect(ami.Parameter?.Value).toMatch(/^ami-/);
    expect(versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.ImageId).toBe(ami.Parameter?.Value);
  });

  it('creates the ALB, the target group with its attributes and health check, and the listener on 80', async () => {
    const lbArn = physicalIdOf('AWS::ElasticLoadBalancingV2::LoadBalancer');
    const tgArn = physicalIdOf('AWS::ElasticLoadBalancingV2::TargetGroup');
    const lbs = await clients.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] }));
    expect(lbs.LoadBalancers?.[0]?.Scheme).toBe('internet-facing');
    const attrs = await clients.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tgArn }));
    const delay = attrs.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value;
    expect(delay).toBe(String(DEFAULT_CONFIG.deregistrationDelaySeconds));
    const tgs = await clients.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tgArn] }));
    expect(tgs.TargetGroups?.[0]).toMatchObject({
      Port: DEFAULT_CONFIG.appPort,
      HealthCheckPath: DEFAULT_CONFIG.healthCheckPath,
      HealthCheckIntervalSeconds: DEFAULT_CONFIG.healthCheckIntervalSeconds,
    });
    const listeners = await clients.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }));
    expect(listeners.Listeners?.map((l) => l.Port)).toEqual([80]);
    expect(listeners.Listeners?.[0]?.DefaultActions?.[0]?.TargetGroupArn).toBe(tgArn);
  });

  it('requests the Spot Fleet with the configured capacity, spread over instance types and both subnets', async () => {
    const fleetId = physicalIdOf('AWS::EC2::SpotFleet');
    const requests = await clients.ec2.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: [fleetId] }));
    expect(requests.SpotFleetRequestConfigs?.[0]?.SpotFleetRequestConfig?.TargetCapacity).toBe(TARGET_CAPACITY);
    const active = await clients.ec2.send(new DescribeSpotFleetInstancesCommand({ SpotFleetRequestId: fleetId }));
    const ids = active.ActiveInstances!.map((i) => i.InstanceId!);
    expect(ids).toHaveLength(TARGET_CAPACITY);
    const described = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    const instances = described.Reservations!.flatMap((r) => r.Instances!);
    expect(new Set(instances.map((i) => i.InstanceType)).size).toBeGreaterThan(1);
    const subnets = Object.values(stack.resources).filter((r) => r.type === 'AWS::EC2::Subnet').map((r) => r.physicalId);
    expect(new Set(instances.map((i) => i.SubnetId))).toEqual(new Set(subnets));
    const instanceSg = stack.resources[Object.keys(template.Resources).find((id) => id.startsWith('LoadBalancerInstanceSecurityGroup') && template.Resources[id]!.Type === 'AWS::EC2::SecurityGroup')!]!.physicalId;
    for (const instance of instances) {
      expect(instance.SecurityGroups?.map((g) => g.GroupId)).toEqual([instanceSg]);
      expect(instance.IamInstanceProfile?.Arn).toMatch(/:instance-profile\//);
      expect(instance.Tags).toEqual(expect.arrayContaining([{ Key: 'spotweb:stack', Value: 'SpotWeb' }]));
    }
  });

  it('creates the rule with both targets, the queue, the topic and the autoscaling target and policy', async () => {
    const ruleName = physicalIdOf('AWS::Events::Rule');
    const targets = await clients.events.send(new ListTargetsByRuleCommand({ Rule: ruleName }));
    expect(targets.Targets).toHaveLength(2);
    const functionArn = Object.values(stack.resources).find((r) => r.physicalId === stack.outputs[OUTPUTS.handlerFunctionName])!.attributes.Arn;
    expect(targets.Targets!.map((t) => t.Arn).sort()).toEqual([functionArn, stack.outputs[OUTPUTS.topicArn]].sort());
    const toTopic = targets.Targets!.find((t) => t.Arn === stack.outputs[OUTPUTS.topicArn])!;
    expect(toTopic.InputTransformer?.InputPathsMap).toHaveProperty('instance', '$.detail.instance-id');
    // Plain text (no surrounding quotes), as a subscriber reads it (infra/plain-text-input.ts).
    expect(toTopic.InputTransformer?.InputTemplate).toMatch(/^AWS Spot interruption warning: instance <instance> /);
    expect(toTopic.RetryPolicy?.MaximumRetryAttempts).toBe(8);

    const queue = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: stack.outputs[OUTPUTS.deadLetterQueueUrl], AttributeNames: ['MessageRetentionPeriod'] }),
    );
    expect(queue.Attributes?.MessageRetentionPeriod).toBe(String(14 * 24 * 3600));
    const topic = await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: stack.outputs[OUTPUTS.topicArn] }));
    // TLS-only deny, CloudWatch alarms, the warning rule.
    expect(JSON.parse(topic.Attributes!.Policy!).Statement).toHaveLength(3);
    // Encrypted with the stack's own key, created through KMS with rotation on.
    const keyId = physicalIdOf('AWS::KMS::Key');
    const key = await clients.kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(topic.Attributes!.KmsMasterKeyId).toBe(key.KeyMetadata!.Arn);
    expect((await clients.kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled).toBe(true);

    const fleetId = stack.outputs[OUTPUTS.fleetRequestId];
    const scalable = await clients.autoScaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ec2' }));
    expect(scalable.ScalableTargets?.map((t) => [t.ResourceId, t.MinCapacity, t.MaxCapacity])).toEqual([
      [`spot-fleet-request/${fleetId}`, DEFAULT_CONFIG.minCapacity, DEFAULT_CONFIG.maxCapacity],
    ]);
    const policies = await clients.autoScaling.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ec2' }));
    const label = policies.ScalingPolicies?.[0]?.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.ResourceLabel;
    expect(label).toMatch(/^app\/[^/]+\/[^/]+\/targetgroup\/[^/]+\/[^/]+$/);
  });

  it('creates the handler and its drain confirmation with their environment resolved to the resources in moto', async () => {
    const handler = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: stack.outputs[OUTPUTS.handlerFunctionName] }));
    expect(handler.Environment?.Variables?.TARGET_GROUP_ARNS).toBe(physicalIdOf('AWS::ElasticLoadBalancingV2::TargetGroup'));
    const confirmation = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: stack.outputs[OUTPUTS.confirmationFunctionName] }));
    expect(confirmation.Environment?.Variables?.TOPIC_ARN).toBe(stack.outputs[OUTPUTS.topicArn]);
    expect(confirmation.Environment?.Variables?.DEREGISTRATION_DELAY_SECONDS).toBe(String(DEFAULT_CONFIG.deregistrationDelaySeconds));
    expect(confirmation.Environment?.Variables?.CONFIRMATION_TABLE_NAME).toBe(physicalIdOf('AWS::DynamoDB::Table'));
  });

  it('creates the confirmation table as CloudFormation would: generated name, key, on-demand, TTL, point-in-time recovery, Arn', async () => {
    const name = physicalIdOf('AWS::DynamoDB::Table');
    const [logicalId, deployed] = Object.entries(stack.resources).find(([, r]) => r.type === 'AWS::DynamoDB::Table')!;
    expect(name).toMatch(new RegExp(`^${stackName}-${logicalId}-[A-Z0-9]{12}$`));
    const table = (await clients.dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table!;
    expect(table.KeySchema).toEqual([{ AttributeName: 'instanceId', KeyType: 'HASH' }]);
    expect(table.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(deployed.attributes.Arn).toBe(table.TableArn);
    expect(table.TableArn).toBe(`arn:aws:dynamodb:${REGION}:123456789012:table/${name}`);
    const ttl = (await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: name }))).TimeToLiveDescription!;
    expect(ttl).toMatchObject({ AttributeName: 'expiresAt', TimeToLiveStatus: 'ENABLED' });
    const backups = (await clients.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: name }))).ContinuousBackupsDescription!;
    expect(backups.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe('ENABLED');
  });

  it('refuses, as Application Auto Scaling does, a request-count policy whose target group no listener forwards to', async () => {
    // The ordering mistake: the policy (and what it needs) without the listener that attaches the target group.
    const resources = template.Resources as Record<string, TemplateResource>;
    const [policyId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy')!;
    const listeners = new Set(Object.keys(resources).filter((id) => resources[id]!.Type === 'AWS::ElasticLoadBalancingV2::Listener'));
    const withoutListener = Object.fromEntries(
      Object.entries(resources)
        .filter(([id]) => !listeners.has(id))
        .map(([id, r]) => [id, { ...r, DependsOn: ([] as string[]).concat(r.DependsOn ?? []).filter((d) => !listeners.has(d)) }]),
    );
    const needed = neededBy(dependencyGraph(withoutListener), policyId);
    const misordered = { ...template, Outputs: {}, Resources: Object.fromEntries([...needed].map((id) => [id, withoutListener[id]])) };
    const refused = await deployTemplate({ template: misordered, assemblyDir: outdir, stackName: 'Misordered', endpoint: moto.endpoint, region: REGION }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(DeployError);
    expect((refused as DeployError).logicalId).toBe(policyId);
    expect((refused as Error).message).toMatch(/target group targetgroup\/.+ is not attached to load balancer app\/.+ \(no listener forwards to it yet\)/);
    expect(((refused as Error).cause as Error).name).toBe('ValidationException');
  });

  /** The stack up to `targetId`, its roles' policies without any statement granting `action`: the deploy's error. */
  async function deployWithout(action: string, targetId: string, stackName: string): Promise<unknown> {
    const resources = template.Resources as Record<string, { Type: string; Properties: any; DependsOn?: string | string[] }>;
    const withoutGrant = Object.fromEntries(
      Object.entries(resources).map(([id, r]) => {
        if (r.Type !== 'AWS::IAM::Policy') return [id, r];
        const statements = (r.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).filter((st) => ![st.Action].flat().includes(action));
        return [id, { ...r, Properties: { ...r.Properties, PolicyDocument: { ...r.Properties.PolicyDocument, Statement: statements } } }];
      }),
    );
    const needed = neededBy(dependencyGraph(withoutGrant), targetId);
    return deployTemplate({
      template: { ...template, Outputs: {}, Resources: Object.fromEntries([...needed].map((id) => [id, withoutGrant[id]])) },
      assemblyDir: outdir,
      stackName,
      endpoint: moto.endpoint,
      region: REGION,
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
  }

  it("refuses an on-success destination the function's role may not invoke, as Lambda does (the stack itself, with the grant, deployed above)", async () => {
    const resources = template.Resources as Record<string, { Type: string; Properties: any }>;
    const [configId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Lambda::EventInvokeConfig' && r.Properties.DestinationConfig?.OnSuccess)!;
    const refused = await deployWithout('lambda:InvokeFunction', configId, 'NoDestinationGrant');
    expect(refused).toBeInstanceOf(DeployError);
    expect((refused as DeployError).logicalId).toBe(configId);
    expect((refused as Error).message).toMatch(/InvalidParameterValueException: The function's execution role does not have permissions to call InvokeFunction on arn:aws:lambda:/);
  });

  it("refuses a function whose role may not send to its dead-letter queue, as Lambda's CreateFunction does", async () => {
    const resources = template.Resources as Record<string, { Type: string; Properties: any }>;
    const [functionId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.DeadLetterConfig?.TargetArn)!;
    const refused = await deployWithout('sqs:SendMessage', functionId, 'NoDeadLetterGrant');
    expect(refused).toBeInstanceOf(DeployError);
    expect((refused as DeployError).logicalId).toBe(functionId);
    expect((refused as Error).message).toMatch(/InvalidParameterValueException: The provided execution role does not have permissions to call SendMessage on SQS \(grant sqs:SendMessage on arn:aws:sqs:/);
  });

  it('resolves the outputs', async () => {
    expect(stack.outputs[OUTPUTS.fleetRequestId]).toMatch(/^sfr-/);
    const lbArn = physicalIdOf('AWS::ElasticLoadBalancingV2::LoadBalancer');
    const lbs = await clients.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] }));
    expect(stack.outputs[OUTPUTS.url]).toContain(lbs.LoadBalancers![0]!.DNSName);
    expect(stack.outputs[OUTPUTS.targetGroupArn]).toBe(physicalIdOf('AWS::ElasticLoadBalancingV2::TargetGroup'));
  });
});

/** `id` and every resource it depends on, directly or not: the part of a template that deploying it needs. */
function neededBy(graph: ReadonlyMap<string, Iterable<string>>, id: string): Set<string> {
  const needed = new Set<string>();
  const visit = (at: string): void => {
    if (needed.has(at)) return;
    needed.add(at);
    for (const dep of graph.get(at) ?? []) visit(dep);
  };
  visit(id);
  return needed;
}
