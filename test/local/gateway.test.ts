import { EC2Client, ModifySpotFleetRequestCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsGateway, isMotoAdminPath } from '../../local/gateway.js';
import {
  type FleetModification,
  fleetModificationInterceptor,
  type InstancesChange,
  onFleetModified,
  onInstancesChanged,
  rewriteFleetModification,
} from '../../local/spot/fleet-calls.js';

describe('rewriteFleetModification', () => {
  it('tells moto noTermination and reports what the caller asked', () => {
    const asked = new URLSearchParams('Action=ModifySpotFleetRequest&Version=2016-11-15&SpotFleetRequestId=sfr-1&TargetCapacity=1');
    const out = rewriteFleetModification(asked)!;
    expect(new URLSearchParams(out.body).get('ExcessCapacityTerminationPolicy')).toBe('noTermination');
    expect(out.modification).toEqual({ spotFleetRequestId: 'sfr-1', targetCapacity: 1, excessCapacityTerminationPolicy: 'default' });
    expect(asked.get('ExcessCapacityTerminationPolicy')).toBeNull();
    const keep = rewriteFleetModification(new URLSearchParams('Action=ModifySpotFleetRequest&SpotFleetRequestId=sfr-1&ExcessCapacityTerminationPolicy=noTermination'));
    expect(keep?.modification.excessCapacityTerminationPolicy).toBe('noTermination');
  });

  it('leaves every other call untouched', () => {
    expect(rewriteFleetModification(new URLSearchParams('Action=DescribeInstances&Version=2016-11-15'))).toBeUndefined();
  });
});

describe('AwsGateway', () => {
  const seen: string[] = [];
  const upstream = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push(body);
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end('<ModifySpotFleetRequestResponse><return>true</return></ModifySpotFleetRequestResponse>');
    });
  });
  let gateway: AwsGateway;
  let endpoint: string;
  beforeAll(async () => {
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    gateway = new AwsGateway({ upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
    gateway.intercept(fleetModificationInterceptor);
    endpoint = await gateway.start();
  });
  afterAll(async () => {
    await gateway.close();
    upstream.close();
  });

  it('forwards an SDK call with the policy rewritten and emits the modification', async () => {
    const emitted: FleetModification[] = [];
    gateway.observe(onFleetModified((m) => emitted.push(m)));
    const ec2 = new EC2Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const out = await ec2.send(new ModifySpotFleetRequestCommand({ SpotFleetRequestId: 'sfr-abc', TargetCapacity: 1 }));
    expect(out.Return).toBe(true);
    expect(new URLSearchParams(seen.at(-1)).get('ExcessCapacityTerminationPolicy')).toBe('noTermination');
    expect(emitted).toEqual([{ spotFleetRequestId: 'sfr-abc', targetCapacity: 1, excessCapacityTerminationPolicy: 'default' }]);
    ec2.destroy();
  });

  it('announces the instances a TerminateInstances that went through named', async () => {
    const emitted: InstancesChange[] = [];
    const listener = (c: InstancesChange) => emitted.push(c);
    const remove = gateway.observe(onInstancesChanged(listener));
    const ec2 = new EC2Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    // The stub upstream answers every call with the same document; only the announcement matters here.
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })).catch(() => undefined);
    expect(emitted).toEqual([{ action: 'TerminateInstances', instanceIds: ['i-0123456789abcdef0'] }]);
    remove();
    ec2.destroy();
  });
});

describe('AwsGateway interceptors', () => {
  it('answers from the first interceptor that claims a request, passes the rest through', async () => {
    const upstream = http.createServer((_req, res) => res.end('from moto'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const gateway = new AwsGateway({ upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
    const endpoint = await gateway.start();
    const remove = gateway.intercept((req) => (req.path === '/_local/status' ? { status: 200, body: 'local' } : undefined));
    expect(await (await fetch(`${endpoint}/_local/status`)).text()).toBe('local');
    expect(await (await fetch(`${endpoint}/other`)).text()).toBe('from moto');
    remove();
    expect(await (await fetch(`${endpoint}/_local/status`)).text()).toBe('from moto');
    await gateway.close();
    upstream.close();
  });

  it('runs an injected fault before every interceptor, even one added earlier that answers from the data plane', async () => {
    const upstream = http.createServer((_req, res) => res.end('from moto'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const gateway = new AwsGateway({ upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
    const endpoint = await gateway.start();
    gateway.intercept(() => ({ status: 200, body: 'from the data plane' }));
    const remove = gateway.injectFault(() => ({ status: 503, body: 'ServiceUnavailable' }));
    const faulted = await fetch(`${endpoint}/any`);
    expect([faulted.status, await faulted.text()]).toEqual([503, 'ServiceUnavailable']);
    remove();
    expect(await (await fetch(`${endpoint}/any`)).text()).toBe('from the data plane');
    await gateway.close();
    upstream.close();
  });

  it('names the service a SigV4 request is signed for', async () => {
    const { signedService } = await import('../../local/gateway.js');
    expect(signedService({ authorization: 'AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host' })).toBe('elasticloadbalancing');
    expect(signedService({})).toBeUndefined();
  });
});

describe('targetChangeOf', () => {
  it('names the target group of a registration change, nothing for other calls', async () => {
    const { targetChangeOf } = await import('../../local/alb/registration-calls.js');
    const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123';
    expect(targetChangeOf(new URLSearchParams({ Action: 'DeregisterTargets', TargetGroupArn: arn, 'Targets.member.1.Id': 'i-1', 'Targets.member.2.Id': 'i-2', 'Targets.member.1.Port': '80' }))).toEqual({
      action: 'DeregisterTargets',
      targetGroupArn: arn,
      targetIds: ['i-1', 'i-2'],
    });
    expect(targetChangeOf(new URLSearchParams({ Action: 'RegisterTargets', TargetGroupArn: arn }))).toEqual({ action: 'RegisterTargets', targetGroupArn: arn, targetIds: [] });
    expect(targetChangeOf(new URLSearchParams({ Action: 'DescribeTargetHealth', TargetGroupArn: arn }))).toBeUndefined();
  });
});

describe('instancesChangeOf', () => {
  it('names the instances a call ends, stops or starts, nothing for other calls', async () => {
    const { instancesChangeOf } = await import('../../local/spot/fleet-calls.js');
    expect(instancesChangeOf(new URLSearchParams({ Action: 'TerminateInstances', 'InstanceId.1': 'i-1', 'InstanceId.2': 'i-2', Version: '2016-11-15' }))).toEqual({
      action: 'TerminateInstances',
      instanceIds: ['i-1', 'i-2'],
    });
    expect(instancesChangeOf(new URLSearchParams({ Action: 'StopInstances', 'InstanceId.1': 'i-3' }))?.instanceIds).toEqual(['i-3']);
    expect(instancesChangeOf(new URLSearchParams({ Action: 'DescribeInstances', 'InstanceId.1': 'i-1' }))).toBeUndefined();
  });
});

describe('AwsGateway protections', () => {
  const paths: string[] = [];
  const upstream = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  let gateway: AwsGateway;
  let endpoint: string;
  beforeAll(async () => {
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    gateway = new AwsGateway({ upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, maxBodyBytes: 1024 });
    endpoint = await gateway.start();
  });
  afterAll(async () => {
    await gateway.close();
    upstream.close();
  });

  /** A raw request, so paths reach the gateway exactly as written (fetch would normalize them). */
  const raw = (method: string, path: string, body?: Buffer): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = http.request(`${endpoint}${path}`, { method, headers: body ? { 'content-type': 'application/octet-stream' } : {} }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });

  it.each(['/moto-api/reset', '/moto-api/', '/MOTO-API/data.json', '//moto-api/reset', '/%6Doto-api/reset', '/%2Fmoto-api/reset', '/moto-api'])(
    "refuses moto's admin API (%s) without passing it on",
    async (path) => {
      const seen = paths.length;
      expect(await raw('POST', path)).toBe(403);
      expect(paths.length).toBe(seen);
    },
  );

  it('still passes AWS API paths, including ones that merely contain moto-api later', async () => {
    expect(await raw('POST', '/')).toBe(200);
    expect(await raw('GET', '/2015-03-31/functions/moto-api/configuration')).toBe(200);
    expect(isMotoAdminPath('/?Action=DescribeInstances')).toBe(false);
  });

  it('answers 413 to a body over the limit, declared or streamed, and does not pass it on', async () => {
    const seen = paths.length;
    expect(await raw('POST', '/', Buffer.alloc(2048))).toBe(413);
    // Chunked: no content-length, the limit is found while reading.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${endpoint}/`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(err)));
      for (let i = 0; i < 4; i++) req.write(Buffer.alloc(512));
      req.end();
    });
    expect(status).toBe(413);
    expect(paths.length).toBe(seen);
    expect(await raw('POST', '/', Buffer.alloc(512))).toBe(200);
  });
});
