import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkLambdaConcurrency, checkLocalRegion, checkPlayable, LocalSetupError } from '../../local/preflight.js';
import { LOCK_FILE, LocalCloudRunningError, lockWorkDir } from '../../local/work-dir-lock.js';

describe('local cloud preflight', () => {
  it('refuses a region that is not an AWS region in one line, suggesting the nearest', () => {
    expect(() => checkLocalRegion('mars-1')).toThrow(LocalSetupError);
    expect(() => checkLocalRegion('mars-1')).toThrow(/^--region mars-1 is not an AWS region the local cloud can play: pass a commercial region such as us-east-1/);
    expect(() => checkLocalRegion('us-est-1')).toThrow(/\(did you mean us-east-1\?\)/);
    expect(() => checkLocalRegion('eu-west-1')).not.toThrow();
  });

  it('takes a Lambda concurrency from 1 to 1,000 environments, and refuses anything else in one line', () => {
    for (const ok of [undefined, 1, 8, 1000]) expect(() => checkLambdaConcurrency(ok)).not.toThrow();
    for (const bad of [0, -1, 2.5, 1001, Number.NaN]) {
      expect(() => checkLambdaConcurrency(bad)).toThrow(LocalSetupError);
      expect(() => checkLambdaConcurrency(bad)).toThrow(/^lambdaConcurrency must be a whole number of execution environments from 1 to 1000, got /);
    }
  });

  it('refuses an HTTPS listener (a certificate) locally, saying what to do', () => {
    const template = { Resources: { Https: { Type: 'AWS::ElasticLoadBalancingV2::Listener', Properties: { Protocol: 'HTTPS', Certificates: [{ CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/x' }] } } } };
    expect(() => checkPlayable(template)).toThrow(/^HTTPS is not played locally \(listener Https .*\): leave -c certificateArn out with npm start, and use it with npx cdk deploy$/);
    expect(() => checkPlayable({ Resources: { Http: { Type: 'AWS::ElasticLoadBalancingV2::Listener', Properties: { Protocol: 'HTTP' } } } })).not.toThrow();
  });
});

describe('one local cloud per work directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spotweb-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second start, naming the running one (pid, port), until the first releases', () => {
    const first = lockWorkDir(dir, 0);
    first.update(43127, 'http://127.0.0.1:43127');
    let refusal: unknown;
    try {
      lockWorkDir(dir, 8080);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(LocalCloudRunningError);
    expect((refusal as Error).message).toContain(`a local cloud is already running from ${dir} (pid ${process.pid}, load balancer http://127.0.0.1:43127)`);
    first.release();
    const second = lockWorkDir(dir, 8080);
    second.release();
  });

  it('takes over a lock left by a local cloud that was killed', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: Number(gone.stdout), port: 8080 }));
    const lock = lockWorkDir(dir, 8081);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, port: 8081 });
    lock.release();
  });
});
