import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { STATUS_PATH } from '../../local/contract.js';
import { startLoad } from '../support/load.js';
import { waitFor } from '../../harness/wait-for.js';

const run = promisify(execFile);

/** Runs the CLI in-process; returns its exit code and what it printed. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await runCli(argv, { stdout, stderr });
  return { code, stdout: out, stderr: err };
}

describe('spotweb CLI against the local cloud', () => {
  let cloud: LocalCloud;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'spotweb-cli-'));
    cloud = await startLocalCloud({ port: 0, timeScale: 0.05, workDir, context: { requestsPerTarget: '1000000' } });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('status --json matches the fleet (through the state file, in a separate process)', async () => {
    const { stdout } = await run('npx', ['tsx', 'cli/main.ts', 'status', '--local', workDir, '--json'], { cwd: process.cwd() });
    const status = JSON.parse(stdout);
    expect(status.target).toBe('local');
    expect(status.fleetRequestId).toBe(cloud.fleetRequestId);
    expect(status.targetCapacity).toBe(cloud.fleet.capacity);
    expect(status.instances.map((i: { instanceId: string }) => i.instanceId).sort()).toEqual(cloud.fleet.instances().map((i) => i.instanceId).sort());
    const healthy = cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').map((t) => t.id).sort();
    expect(status.instances.filter((i: { health: string }) => i.health === 'healthy').map((i: { instanceId: string }) => i.instanceId).sort()).toEqual(healthy);
  });

  it('interrupt refuses a fleet that is not the stack\'s and a reduction below 1', async () => {
    const other = await cli('interrupt', '--endpoint', cloud.endpoint, '--fleet', 'sfr-00000000-0000-0000-0000-000000000000');
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/not stack .*'s fleet/);
    const tooMany = await cli('interrupt', '--endpoint', cloud.endpoint, '--by', String(cloud.fleet.capacity));
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(/refusing to reduce .* at least 1 instance must keep serving/);
    expect(cloud.fleet.capacity).toBeGreaterThan(1);
  });

  it('load counts successes against the stack URL and exits 0', async () => {
    const result = await cli('load', '--endpoint', cloud.endpoint, '--rate', '50', '--duration', '1s', '--json');
    const summary = JSON.parse(result.stdout);
    expect(summary.failuresByKind).toEqual({});
    expect(result.code).toBe(0);
    expect(summary.requests).toBe(50);
    expect(summary.failures).toBe(0);
    expect(summary.instances.length).toBeGreaterThanOrEqual(1);
  });

  it('interrupt --fis interrupts the chosen instance through FIS', async () => {
    const capacity = cloud.fleet.capacity;
    const victim = cloud.fleet.instances().find((i) => !i.reclaimAt)!.instanceId;
    const result = await cli('interrupt', '--endpoint', cloud.endpoint, '--fis', '--instance', victim, '--json', '--timeout', '60s');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.method).toBe('fis');
    expect(report.experimentId).toMatch(/^EXP/);
    expect(report.instances.map((i: { instanceId: string }) => i.instanceId)).toEqual([victim]);
    expect(report.instances[0].warnedAt).toBeDefined();
    expect(report.instances[0].goneAt).toBeDefined();
    expect(cloud.fleet.capacity).toBe(capacity);
    // The fleet keeps its capacity: it replaces the reclaimed instance.
    await waitFor('the replacement to serve', () => cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').length >= capacity, 30_000);
  });


  it('interrupt lowers the capacity and reports the interrupted instance drained and gone, with no failed request', async () => {
    const before = cloud.fleet.capacity;
    const load = startLoad(cloud.url, 4);
    const result = await cli('interrupt', '--endpoint', cloud.endpoint, '--json', '--timeout', '60s');
    const traffic = await load.stop();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.capacity).toEqual({ from: before, to: before - 1 });
    expect(cloud.fleet.capacity).toBe(before - 1);
    expect(report.instances).toHaveLength(1);
    const [gone] = report.instances;
    expect(gone.drained).toBe(true);
    expect(gone.goneAt).toBeGreaterThan(gone.drainingAt ?? gone.deregisteredAt);
    expect(cloud.fleet.instances().map((i) => i.instanceId)).not.toContain(gone.instanceId);
    expect(traffic.failures).toBe(0);
  });

});

describe('spotweb CLI, AWS path, against the local cloud with its local extras off', () => {
  let cloud: LocalCloud;
  const instanceLog: string[] = [];
  const workDir = mkdtempSync(join(tmpdir(), 'spotweb-cli-aws-'));

  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      timeScale: 0.05,
      workDir,
      context: { requestsPerTarget: '1000000' },
      localExtras: false,
      verboseLog: (line) => instanceLog.push(line),
    });
  });
  afterAll(async () => {
    await cloud?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('finds the stack through CloudFormation\'s outputs, then reads EC2 and ELB, as on AWS', async () => {
    // Nothing beside the AWS APIs: the CLI cannot tell this endpoint from AWS's.
    expect((await fetch(new URL(STATUS_PATH, cloud.endpoint))).ok).toBe(false);
    const { code, stdout, stderr } = await cli('status', '--endpoint', cloud.endpoint, '--region', cloud.region, '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const status = JSON.parse(stdout);
    expect(status.target).toBe('aws');
    expect(status.stackName).toBe(cloud.stackName);
    expect(status.fleetRequestId).toBe(cloud.fleetRequestId);
    // The output as CloudFormation holds it: the ALB's DNS name, not the local listener.
    expect(status.url).toBe(cloud.outputs.LoadBalancerUrl);
    expect(status.instances.map((i: { instanceId: string }) => i.instanceId).sort()).toEqual(
      cloud.fleet.instances().map((i) => i.instanceId).sort(),
    );
  });

  it('starts each instance app with its keep-alive above the load balancer\'s idle timeout, both scaled', () => {
    // 60 s idle timeout and 65 s keep-alive from the user data, at time scale 0.05.
    const started = instanceLog.filter((line) => line.includes('"event":"started"'));
    expect(started.length).toBeGreaterThan(0);
    for (const line of started) expect(line).toContain('"keepAliveTimeoutMs":3250');
  });
});

describe('spotweb load against a port that refuses connections', () => {
  it('reports every request as failed and exits non-zero (real process)', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const failed = await run('npx', ['tsx', 'cli/main.ts', 'load', '--url', `http://127.0.0.1:${port}/`, '--rate', '20', '--duration', '1s', '--json']).then(
      () => undefined,
      (err: { code: number; stdout: string }) => err,
    );
    expect(failed?.code).toBe(1);
    const summary = JSON.parse(failed!.stdout);
    expect(summary.requests).toBe(20);
    expect(summary.failures).toBe(20);
    expect(summary.failuresByKind).toEqual({ ECONNREFUSED: 20 });
  });

  it('says the local cloud is not running when its state file is missing', async () => {
    const result = await cli('status', '--local', mkdtempSync(join(tmpdir(), 'spotweb-none-')));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/local cloud not running: start it with npm start/);
  });
});
