import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, resolveConfig } from '../../infra/config.js';
import { synthesize } from '../support/synth.js';

describe('resolveConfig', () => {
  it('fills every default when nothing is set', () => {
    expect(resolveConfig({})).toEqual(DEFAULT_CONFIG);
  });

  it('accepts CDK context strings and converts them', () => {
    const config = resolveConfig({
      minCapacity: '1',
      maxCapacity: '4',
      targetCapacity: '3',
      drainOnRebalance: 'true',
      capacityRebalance: 'true',
      instanceTypes: 'm5.large, c5.large ,m6i.xlarge',
      allocationStrategy: 'priceCapacityOptimized',
      deregistrationDelaySeconds: '90',
      idleTimeoutSeconds: '4000',
    });
    expect(config).toMatchObject({
      idleTimeoutSeconds: 4000,
      minCapacity: 1,
      maxCapacity: 4,
      targetCapacity: 3,
      drainOnRebalance: true,
      instanceTypes: ['m5.large', 'c5.large', 'm6i.xlarge'],
      allocationStrategy: 'priceCapacityOptimized',
      deregistrationDelaySeconds: 90,
      rebalanceReplacementStrategy: 'launch-before-terminate',
      // The drain (90 s) and a minute for the event and the handler; never under AWS's 120 s minimum.
      rebalanceTerminationDelaySeconds: 150,
    });
    expect(resolveConfig({ deregistrationDelaySeconds: 60 }).rebalanceTerminationDelaySeconds).toBe(120);
  });

  it('defaults the starting capacity to the minimum', () => {
    expect(resolveConfig({ minCapacity: 3 }).targetCapacity).toBe(3);
  });

  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ['min above max', { minCapacity: 5, maxCapacity: 2 }, /"minCapacity": must not exceed maxCapacity \(5 > 2\)/],
    ['target outside min..max', { targetCapacity: 11 }, /"targetCapacity": must be between 2 and 10/],
    ['delay above 3600', { deregistrationDelaySeconds: 3601 }, /"deregistrationDelaySeconds": must be between 60 and 3600, got 3601 \(at least the interruption handler's 60 s timeout/],
    ['negative delay', { deregistrationDelaySeconds: '-1' }, /"deregistrationDelaySeconds": must be between 60 and 3600, got -1/],
    // The handler reads `draining` after its DeregisterTargets (handlers/interruption/drain.ts): shorter, a slow read finds the target gone.
    ['delay shorter than the handler timeout', { deregistrationDelaySeconds: 59 }, /"deregistrationDelaySeconds": must be between 60 and 3600, got 59 \(at least the interruption handler's 60 s timeout, while ELB shows a target it took out as draining; default 120\)/],
    ['fractional capacity', { maxCapacity: '2.5' }, /"maxCapacity": expected a whole number/],
    ['non-numeric capacity', { minCapacity: 'two' }, /"minCapacity": expected a whole number, got "two"/],
    ['unknown instance type format', { instanceTypes: 't3.small,bogus,m5.large' }, /"instanceTypes": "bogus" is not an instance type/],
    ['arm64 type with an x86 AMI', { instanceTypes: 't3.small,m6g.large,m5.large' }, /"instanceTypes": "m6g.large" is Graviton/],
    ['fewer than three types', { instanceTypes: 't3.small,m5.large' }, /"instanceTypes": a diversified fleet needs at least 3 types/],
    ['duplicate types', { instanceTypes: 't3.small,t3.small,m5.large' }, /"instanceTypes": lists a type twice/],
    ['unknown allocation strategy', { allocationStrategy: 'cheapest' }, /"allocationStrategy": expected one of diversified, priceCapacityOptimized/],
    ['privileged app port', { appPort: 80 }, /"appPort": must be between 1024 and 65535/],
    ['idle timeout of zero', { idleTimeoutSeconds: '0' }, /"idleTimeoutSeconds": must be between 1 and 4000, got 0/],
    ['idle timeout above ELB\'s 4000 s', { idleTimeoutSeconds: 4001 }, /"idleTimeoutSeconds": must be between 1 and 4000, got 4001/],
    ['fractional idle timeout', { idleTimeoutSeconds: '60.5' }, /"idleTimeoutSeconds": expected a whole number/],
    ['health path without slash', { healthCheckPath: 'health' }, /"healthCheckPath": expected a path starting with "\/"/],
    ['timeout not below interval', { healthCheckIntervalSeconds: 5, healthCheckTimeoutSeconds: 5 }, /"healthCheckTimeoutSeconds": must be shorter/],
    ['retention CloudWatch does not offer', { logRetentionDays: 2 }, /"logRetentionDays": CloudWatch Logs accepts/],
    ['boolean spelled otherwise', { drainOnRebalance: 'yes' }, /"drainOnRebalance": expected true or false/],
    [
      'draining on rebalance without capacity rebalancing (strands the drained instance)',
      { drainOnRebalance: 'true' },
      /"drainOnRebalance": .*strands the drained instance.*Set capacityRebalance=true/,
    ],
    [
      'draining on rebalance with the launch strategy (never terminates the old instance)',
      { drainOnRebalance: 'true', capacityRebalance: 'true', rebalanceReplacementStrategy: 'launch' },
      /"rebalanceReplacementStrategy": "launch" never terminates.*Use launch-before-terminate/,
    ],
    [
      'a termination delay shorter than the drain',
      { drainOnRebalance: 'true', capacityRebalance: 'true', deregistrationDelaySeconds: 300, rebalanceTerminationDelaySeconds: 200 },
      /"rebalanceTerminationDelaySeconds": 200 s would terminate the drained instance before its drain ends.*360 s at least/,
    ],
    ['termination delay outside AWS range', { rebalanceTerminationDelaySeconds: 7201 }, /"rebalanceTerminationDelaySeconds": must be between 120 and 7200/],
    ['unknown replacement strategy', { rebalanceReplacementStrategy: 'terminate' }, /"rebalanceReplacementStrategy": expected one of launch-before-terminate, launch/],
    ['malformed email', { notificationEmail: 'ops-at-example' }, /"notificationEmail": expected an email address/],
    ['not an ACM ARN', { certificateArn: 'arn:aws:iam::123456789012:server-certificate/x' }, /"certificateArn": expected an ACM certificate ARN/],
  ];
  it.each(invalid)('rejects %s, naming the key', (_name, raw, message) => {
    expect(() => resolveConfig(raw)).toThrow(ConfigError);
    expect(() => resolveConfig(raw)).toThrow(message);
  });

  it('fails synth with the same message when the value comes from -c context', () => {
    expect(() => synthesize({ minCapacity: '4', maxCapacity: '3' })).toThrow(/Invalid configuration "minCapacity"/);
  });

  it('rejects a misspelt key instead of deploying the default, naming the closest known key', () => {
    expect(() => resolveConfig({ minCapcity: '3' })).toThrow(/Invalid configuration "minCapcity": unknown key; did you mean "minCapacity"\?/);
    expect(() => resolveConfig({ DeregistrationDelaySeconds: '60' })).toThrow(/did you mean "deregistrationDelaySeconds"/);
    expect(() => resolveConfig({ 'notification-email': 'a@b.example' })).toThrow(/did you mean "notificationEmail"/);
    // Nothing near: the message lists the keys instead.
    expect(() => resolveConfig({ colour: 'blue' })).toThrow(/"colour": unknown key; the keys this app reads are instanceTypes, /);
  });

  it("leaves CDK's own context keys alone", () => {
    expect(resolveConfig({
      '@aws-cdk/core:checkSecretUsage': true,
      'aws:cdk:enable-asset-metadata': true,
      'availability-zones:account=123456789012:region=us-east-1': ['us-east-1a'],
      'acknowledged-issue-numbers': [34892],
      'cli-telemetry': false,
    })).toEqual(DEFAULT_CONFIG);
  });

  it('fails synth on a misspelt -c key (the whole context is checked, as cdk synth and npm start build it)', () => {
    expect(() => synthesize({ minCapcity: '3' })).toThrow(/Invalid configuration "minCapcity": unknown key; did you mean "minCapacity"/);
  });
});
