// CloudFormation's read calls for the deployed stack, through the gateway, parsed by the SDK v3 client and the AWS CLI.
import {
  CloudFormationClient,
  DescribeStackResourceCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ListStacksCommand,
  paginateListStackResources,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPath } from '../support/system-tools.js';
import { cloudFormationReads } from '../../local/cloudformation/stack-reads.js';
import { LOCAL_CREDENTIALS } from '../../local/contract.js';
import type { DeployedStack } from '../../local/deploy/deploy.js';
import { AwsGateway } from '../../local/gateway.js';

const run = promisify(execFile);
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/SpotWeb/0b5c1f2e-0000-4000-8000-000000000001';
const CREATED = new Date('2026-11-30T01:00:00.000Z');
// More than one page of ListStackResources (100), as a bigger stack would have.
const RESOURCE_COUNT = 130;

function deployedStack(): DeployedStack {
  const resources: DeployedStack['resources'] = {
    AlbListener: { type: 'AWS::ElasticLoadBalancingV2::Listener', physicalId: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/a/1/2', attributes: {}, properties: {}, metadata: {}, createdAt: CREATED },
    Fleet: { type: 'AWS::EC2::SpotFleet', physicalId: 'sfr-0123', attributes: {}, properties: {}, metadata: {}, createdAt: CREATED },
  };
  for (let i = Object.keys(resources).length; i < RESOURCE_COUNT; i++) {
    resources[`Queue${String(i).padStart(3, '0')}`] = { type: 'AWS::SQS::Queue', physicalId: `http://sqs/q${i}`, attributes: {}, properties: {}, metadata: {} };
  }
  return {
    stack: { stackName: 'SpotWeb', stackId: STACK_ID, description: 'spotweb <test> & co', createdAt: CREATED, parameters: { BootstrapVersion: '/cdk-bootstrap/hnb659fds/version' } },
    resources,
    outputs: { LoadBalancerUrl: 'http://alb-1.us-east-1.elb.amazonaws.com', FleetRequestId: 'sfr-0123', Weird: 'a&b<c>"d\'' },
    outputDescriptions: { LoadBalancerUrl: 'Browse here' },
    skipped: [],
    notes: [],
    notApplicable: [],
  };
}

describe('CloudFormation reads for the deployed stack, through the gateway', () => {
  const passedOn: string[] = [];
  const moto = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      passedOn.push(new URLSearchParams(body).get('Action') ?? '');
      // As moto answers for a stack it does not have.
      res.writeHead(400, { 'content-type': 'text/xml' });
      res.end('<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id Other does not exist</Message></Error><RequestId>x</RequestId></ErrorResponse>');
    });
  });
  let gateway: AwsGateway;
  let cfn: CloudFormationClient;
  let endpoint: string;
  const scratch = mkdtempSync(join(tmpdir(), 'spotweb-cfn-reads-'));

  beforeAll(async () => {
    await new Promise<void>((r) => moto.listen(0, '127.0.0.1', r));
    gateway = new AwsGateway({ upstream: `http://127.0.0.1:${(moto.address() as AddressInfo).port}` });
    gateway.intercept(cloudFormationReads(deployedStack()));
    endpoint = await gateway.start();
    cfn = new CloudFormationClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  });
  afterAll(async () => {
    cfn.destroy();
    await gateway.close();
    moto.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('DescribeStacks: the stack by name or id, CREATE_COMPLETE, with its parameters and outputs', async () => {
    for (const StackName of ['SpotWeb', STACK_ID, undefined]) {
      const out = await cfn.send(new DescribeStacksCommand({ StackName }));
      expect(out.Stacks).toHaveLength(1);
      const [stack] = out.Stacks!;
      expect(stack).toMatchObject({ StackName: 'SpotWeb', StackId: STACK_ID, StackStatus: 'CREATE_COMPLETE', Description: 'spotweb <test> & co' });
      expect(stack!.CreationTime?.toISOString()).toBe(CREATED.toISOString());
      expect(stack!.Parameters).toEqual([{ ParameterKey: 'BootstrapVersion', ParameterValue: '/cdk-bootstrap/hnb659fds/version' }]);
      expect(stack!.Outputs).toEqual([
        { OutputKey: 'LoadBalancerUrl', OutputValue: 'http://alb-1.us-east-1.elb.amazonaws.com', Description: 'Browse here' },
        { OutputKey: 'FleetRequestId', OutputValue: 'sfr-0123' },
        { OutputKey: 'Weird', OutputValue: 'a&b<c>"d\'' },
      ]);
    }
    expect(passedOn).toEqual([]);
  });

  it('leaves another stack to moto, which answers as CloudFormation does for a stack it lacks', async () => {
    await expect(cfn.send(new DescribeStacksCommand({ StackName: 'Other' }))).rejects.toMatchObject({ name: 'ValidationError' });
    expect(passedOn).toEqual(['DescribeStacks']);
  });

  it('ListStackResources: every resource with logical and physical ids, in pages of 100', async () => {
    const pages: StackResourceSummary[][] = [];
    for await (const page of paginateListStackResources({ client: cfn }, { StackName: 'SpotWeb' })) pages.push(page.StackResourceSummaries ?? []);
    expect(pages.map((p) => p.length)).toEqual([100, RESOURCE_COUNT - 100]);
    const fleet = pages.flat().find((r) => r.LogicalResourceId === 'Fleet');
    expect(fleet).toMatchObject({ PhysicalResourceId: 'sfr-0123', ResourceType: 'AWS::EC2::SpotFleet', ResourceStatus: 'CREATE_COMPLETE' });
    expect(new Set(pages.flat().map((r) => r.LogicalResourceId)).size).toBe(RESOURCE_COUNT);
  });

  it('DescribeStackResources by stack or by a physical id, DescribeStackResource, ListStacks', async () => {
    const byPhysical = await cfn.send(new DescribeStackResourcesCommand({ PhysicalResourceId: 'sfr-0123' }));
    expect(byPhysical.StackResources).toHaveLength(RESOURCE_COUNT);
    const one = await cfn.send(new DescribeStackResourcesCommand({ StackName: 'SpotWeb', LogicalResourceId: 'AlbListener' }));
    expect(one.StackResources).toEqual([expect.objectContaining({ StackName: 'SpotWeb', StackId: STACK_ID, PhysicalResourceId: expect.stringContaining(':listener/'), ResourceStatus: 'CREATE_COMPLETE' })]);
    const detail = await cfn.send(new DescribeStackResourceCommand({ StackName: 'SpotWeb', LogicalResourceId: 'Fleet' }));
    expect(detail.StackResourceDetail).toMatchObject({ PhysicalResourceId: 'sfr-0123', ResourceType: 'AWS::EC2::SpotFleet' });
    await expect(cfn.send(new DescribeStackResourceCommand({ StackName: 'SpotWeb', LogicalResourceId: 'Nope' }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Resource Nope does not exist for stack SpotWeb',
    });
    const listed = await cfn.send(new ListStacksCommand({ StackStatusFilter: ['CREATE_COMPLETE'] }));
    expect(listed.StackSummaries?.map((s) => s.StackName)).toEqual(['SpotWeb']);
    const deleted = await cfn.send(new ListStacksCommand({ StackStatusFilter: ['DELETE_COMPLETE'] }));
    expect(deleted.StackSummaries ?? []).toEqual([]);
  });

  // The AWS CLI is no dependency of the project (its Python tools are moto and cfn-lint only); where one is
  // installed, it must parse the answers too.
  it.skipIf(!onPath('aws'))('the AWS CLI parses the same answers', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: scratch,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: join(scratch, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: join(scratch, 'none'),
    };
    const aws = async (...args: string[]) =>
      JSON.parse((await run('aws', ['--endpoint-url', endpoint, '--output', 'json', 'cloudformation', ...args], { env })).stdout);
    const described = await aws('describe-stacks', '--stack-name', 'SpotWeb');
    expect(described.Stacks[0]).toMatchObject({ StackName: 'SpotWeb', StackStatus: 'CREATE_COMPLETE' });
    expect(described.Stacks[0].Outputs).toContainEqual({ OutputKey: 'Weird', OutputValue: 'a&b<c>"d\'' });
    // The CLI follows NextToken itself.
    const listed = await aws('list-stack-resources', '--stack-name', 'SpotWeb');
    expect(listed.StackResourceSummaries).toHaveLength(RESOURCE_COUNT);
  });
});
