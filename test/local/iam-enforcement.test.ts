// moto's IAM access control as the local cloud switches it on, measured against a real moto: what it enforces, what
// it cannot evaluate (the reasons for local/iam/), and the role sessions and re-signing built on it.
import { DeregisterTargetsCommand, ElasticLoadBalancingV2Client, CreateTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AttachRolePolicyCommand, CreatePolicyCommand, CreatePolicyVersionCommand, CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, type LocalCredentials } from '../../local/contract.js';
import { AwsGateway } from '../../local/gateway.js';
import { SignatureV4 } from '@smithy/signature-v4';
import http from 'node:http';
import { Sha256 } from '../../common/sha256.js';
import { startLocalIam, LOCAL_IDENTITY_BOOTSTRAP_CALLS, type LocalIam } from '../../local/iam/local-iam.js';
import { RoleTrustError } from '../../local/iam/role-sessions.js';
import { startMoto, type MotoServer } from '../../local/moto-server.js';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

describe('IAM enforced by moto (access-control mode)', () => {
  let moto: MotoServer;
  let iam: LocalIam;
  let admin: { iam: IAMClient; elbv2: ElasticLoadBalancingV2Client; ec2: EC2Client; sts: STSClient };
  let targetGroup: string;
  let otherTargetGroup: string;
  const cfg = (credentials: LocalCredentials | (() => Promise<LocalCredentials>), endpoint = moto.endpoint) => ({ endpoint, region: REGION, credentials, maxAttempts: 1 });

  /** A role with one inline policy. */
  async function role(name: string, trust: unknown, statements: unknown[]): Promise<string> {
    const arn = (await admin.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }))).Role!.Arn!;
    await admin.iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'Policy', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
    return arn;
  }

  const trustsLocalIdentity = () => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: iam.userArn }, Action: 'sts:AssumeRole' }] });
  const trustsLambda = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  const deregister = (resource: string) => ({ Effect: 'Allow', Action: 'elasticloadbalancing:DeregisterTargets', Resource: resource });

  /** DeregisterTargets of an unknown target as `credentials`: AccessDenied, or moto's InvalidTarget once authorized. */
  async function deregisterAs(credentials: LocalCredentials | (() => Promise<LocalCredentials>)): Promise<string> {
    const elbv2 = new ElasticLoadBalancingV2Client(cfg(credentials));
    try {
      await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroup, Targets: [{ Id: 'i-0123456789abcdef0' }] }));
      return 'ok';
    } catch (err) {
      return (err as Error).name;
    } finally {
      elbv2.destroy();
    }
  }

  async function sessionOf(roleArn: string): Promise<LocalCredentials & { sessionToken: string }> {
    const c = (await admin.sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'probe' }))).Credentials!;
    return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  }

  beforeAll(async () => {
    moto = await startMoto({ initialNoAuthActionCount: LOCAL_IDENTITY_BOOTSTRAP_CALLS });
    iam = await startLocalIam({ motoEndpoint: moto.endpoint, region: REGION });
    const c = cfg(iam.credentials);
    admin = { iam: new IAMClient(c), elbv2: new ElasticLoadBalancingV2Client(c), ec2: new EC2Client(c), sts: new STSClient(c) };
    const vpc = (await admin.ec2.send(new DescribeVpcsCommand({}))).Vpcs![0]!.VpcId!;
    const group = (name: string) => admin.elbv2.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: vpc }));
    targetGroup = (await group('web')).TargetGroups![0]!.TargetGroupArn!;
    otherTargetGroup = (await group('other')).TargetGroups![0]!.TargetGroupArn!;
  }, 30_000);
  afterAll(async () => {
    for (const c of Object.values(admin ?? {})) c.destroy();
    iam?.close();
    await moto?.stop();
  });

  it('after the bootstrap calls, moto refuses the dummy credentials and serves the local identity', async () => {
    expect(await deregisterAs(LOCAL_CREDENTIALS)).toBe('InvalidClientTokenId');
    expect(await deregisterAs(iam.credentials)).toBe('InvalidTargetException');
  });

  it("measured: moto checks actions; an Allow scoped to a resource ARN is denied (the right target group like the wrong one); conditions are not evaluated", async () => {
    const cases = {
      unscoped: [deregister('*')],
      thisTargetGroup: [deregister(targetGroup)],
      otherTargetGroup: [deregister(otherTargetGroup)],
      impossibleCondition: [{ ...deregister('*'), Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } } }],
      actionMissing: [{ Effect: 'Allow', Action: 'elasticloadbalancing:DescribeTargetHealth', Resource: '*' }],
    };
    const outcomes: Record<string, string> = {};
    for (const [name, statements] of Object.entries(cases)) {
      outcomes[name] = await deregisterAs(await sessionOf(await role(`measure-${name}`, trustsLocalIdentity(), statements)));
    }
    expect(outcomes).toEqual({
      unscoped: 'InvalidTargetException',
      thisTargetGroup: 'AccessDenied',
      otherTargetGroup: 'AccessDenied',
      impossibleCondition: 'InvalidTargetException',
      actionMissing: 'AccessDenied',
    });
  });

  it('measured: moto cannot evaluate a trust policy naming a service principal (HTTP 500)', async () => {
    const arn = await role('measure-service-trust', trustsLambda, [deregister('*')]);
    const failure = await sessionOf(arn).catch((err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode);
    expect(failure).toBe(500);
  });

  it("a service's session has the role's actions: with DeregisterTargets it may deregister (scoped as in the template), without it AccessDenied", async () => {
    const withAction = await role('handler', trustsLambda, [deregister(targetGroup)]);
    const without = await role('handler-without', trustsLambda, [{ Effect: 'Allow', Action: 'elasticloadbalancing:DescribeTargetHealth', Resource: targetGroup }]);
    const as = { service: 'lambda.amazonaws.com', sourceAccount: ACCOUNT, sessionName: 'handler' };
    expect(await deregisterAs(await iam.sessions.assume(withAction, as))).toBe('InvalidTargetException');
    expect(await deregisterAs(await iam.sessions.assume(without, as))).toBe('AccessDenied');
  });

  it('a role that does not trust the service cannot be assumed by it', async () => {
    const arn = await role('not-for-lambda', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }, [deregister('*')]);
    const error = await iam.sessions.assume(arn, { service: 'lambda.amazonaws.com', sourceAccount: ACCOUNT, sessionName: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RoleTrustError);
    expect((error as Error).message).toContain(`lambda.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: ${arn}`);
  });

  it("a change to the role's policies reaches a session already handed out, through the gateway's IAM calls", async () => {
    const gateway = new AwsGateway({ upstream: moto.endpoint, resign: (original, rewritten) => iam.resign(original, rewritten) });
    gateway.observe(iam.onRolePolicyChanged);
    const endpoint = await gateway.start();
    const viaGateway = new IAMClient(cfg(iam.credentials, endpoint));
    try {
      const arn = await role('changing', trustsLambda, [deregister(targetGroup)]);
      const session = iam.sessions.provider(arn, { service: 'lambda.amazonaws.com', sourceAccount: ACCOUNT, sessionName: 'changing' });
      expect(await deregisterAs(session)).toBe('InvalidTargetException');
      const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'elasticloadbalancing:DescribeTargetHealth', Resource: '*' }] };
      await viaGateway.send(new PutRolePolicyCommand({ RoleName: 'changing', PolicyName: 'Policy', PolicyDocument: JSON.stringify(policy) }));
      await iam.sessions.settled();
      expect(await deregisterAs(session)).toBe('AccessDenied');
    } finally {
      viaGateway.destroy();
      await gateway.close();
    }
  });

  it("roleDecision reads the role's resources and denies as IAM does, where moto checks actions only; a change through the gateway reaches it", async () => {
    const queue = `arn:aws:sqs:${REGION}:${ACCOUNT}:dlq`;
    const destination = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:confirm`;
    const arn = await role('delivering', trustsLambda, [
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: destination },
      { Effect: 'Allow', Action: 'sqs:*', Resource: '*' },
      { Effect: 'Deny', Action: 'sqs:SendMessage', Resource: queue },
    ]);
    expect(await iam.sessions.roleDecision(arn, 'lambda:InvokeFunction', destination)).toBe('allow');
    // The control: the same action on another function, which moto (actions only) would let through.
    expect(await iam.sessions.roleDecision(arn, 'lambda:InvokeFunction', `${destination}-other`)).toBe('implicit-deny');
    expect(await iam.sessions.roleDecision(arn, 'sqs:SendMessage', queue)).toBe('explicit-deny');
    expect(await iam.sessions.roleDecision(arn, 'sqs:SendMessage', `${queue}-other`)).toBe('allow');

    const gateway = new AwsGateway({ upstream: moto.endpoint, resign: (original, rewritten) => iam.resign(original, rewritten) });
    gateway.observe(iam.onRolePolicyChanged);
    const viaGateway = new IAMClient(cfg(iam.credentials, await gateway.start()));
    try {
      const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queue }] };
      await viaGateway.send(new PutRolePolicyCommand({ RoleName: 'delivering', PolicyName: 'Policy', PolicyDocument: JSON.stringify(policy) }));
      expect(await iam.sessions.roleDecision(arn, 'lambda:InvokeFunction', destination)).toBe('implicit-deny');
      expect(await iam.sessions.roleDecision(arn, 'sqs:SendMessage', queue)).toBe('allow');

      // A managed policy's new default version reaches every role it is attached to (the call names no role).
      const invoke = (resource: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: resource }] });
      const managed = (await viaGateway.send(new CreatePolicyCommand({ PolicyName: 'delivering-managed', PolicyDocument: invoke(destination) }))).Policy!.Arn!;
      await viaGateway.send(new AttachRolePolicyCommand({ RoleName: 'delivering', PolicyArn: managed }));
      expect(await iam.sessions.roleDecision(arn, 'lambda:InvokeFunction', destination)).toBe('allow');
      await viaGateway.send(new CreatePolicyVersionCommand({ PolicyArn: managed, PolicyDocument: invoke(`${destination}-other`), SetAsDefault: true }));
      expect(await iam.sessions.roleDecision(arn, 'lambda:InvokeFunction', destination)).toBe('implicit-deny');
    } finally {
      viaGateway.destroy();
      await gateway.close();
    }
  });

  /** DescribeVpcs through a gateway that rewrites it as local/spot/fleet-calls.ts rewrites ModifySpotFleetRequest. */
  const describeVpcsRewritten = async (credentials: LocalCredentials, resign: boolean): Promise<string> => {
    const gateway = new AwsGateway({ upstream: moto.endpoint, ...(resign && { resign: (original, rewritten) => iam.resign(original, rewritten) }) });
    gateway.intercept((req) => (req.body.includes('Action=DescribeVpcs') ? { forward: { ...req, body: Buffer.concat([req.body, Buffer.from('&MaxResults=5')]) } } : undefined));
    const ec2 = new EC2Client(cfg(credentials, await gateway.start()));
    try {
      await ec2.send(new DescribeVpcsCommand({}));
      return 'ok';
    } catch (err) {
      return (err as Error).name;
    } finally {
      ec2.destroy();
      await gateway.close();
    }
  };

  it('a request an interceptor rewrote reaches moto re-signed as its caller (without re-signing: AuthFailure)', async () => {
    expect([await describeVpcsRewritten(iam.credentials, true), await describeVpcsRewritten(iam.credentials, false)]).toEqual(['ok', 'AuthFailure']);
  });

  /** The same rewritten DescribeVpcs, signed as botocore (the AWS CLI) signs it: no x-amz-content-sha256 header. */
  const describeVpcsSignedLikeTheCli = async (credentials: LocalCredentials): Promise<string> => {
    const gateway = new AwsGateway({ upstream: moto.endpoint, resign: (original, rewritten) => iam.resign(original, rewritten) });
    gateway.intercept((req) => (req.body.includes('Action=DescribeVpcs') ? { forward: { ...req, body: Buffer.concat([req.body, Buffer.from('&MaxResults=5')]) } } : undefined));
    const url = new URL(await gateway.start());
    try {
      const body = 'Action=DescribeVpcs&Version=2016-11-15';
      const signer = new SignatureV4({ service: 'ec2', region: REGION, credentials, sha256: Sha256, applyChecksum: false });
      const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body });
      expect(Object.keys(signed.headers).map((h) => h.toLowerCase())).not.toContain('x-amz-content-sha256');
      const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers: signed.headers }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
      return status === 200 ? 'ok' : (/<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? String(status));
    } finally {
      await gateway.close();
    }
  };

  it('a rewritten request signed as the AWS CLI signs it (no payload hash header) is re-signed too (the banner\'s modify-spot-fleet-request)', async () => {
    expect(await describeVpcsSignedLikeTheCli(iam.credentials)).toBe('ok');
  });

  it('a forged request carrying a known key id is not re-signed: moto refuses it (the same call, signed, goes through)', async () => {
    const forged = { accessKeyId: iam.credentials.accessKeyId, secretAccessKey: 'not-the-secret' };
    expect([await describeVpcsRewritten(iam.credentials, true), await describeVpcsRewritten(forged, true)]).toEqual(['ok', 'AuthFailure']);
  });
});
