import { describe, expect, it } from 'vitest';
import { OUTPUTS } from '../../infra/spot-web-stack.js';
import { checkReusableRole, FIS_ROLE_OWNER_TAG, fisRolePolicy, fisTrustPolicy, partitionOf } from '../../cli/interrupt/fis.js';
import { chooseInstances, describeInterruption, drained, drainNote, interruptedSince, observe, reducedCapacity, type Interruption } from '../../cli/interrupt/plan.js';
import { fleetSnapshot } from '../../cli/fleet-snapshot.js';
import type { LocalStatus } from '../../local/contract.js';
import { formatLoadSummary } from '../../cli/load/format.js';
import { wrapAt } from '../../cli/interrupt/format.js';
import { LoadTally, percentile } from '../../cli/load/stats.js';
import { collectInstanceIds, parseDuration, parseFisDuration } from '../../cli/parse.js';
import { OUTPUT_KEYS, stackFacts } from '../../cli/stack-facts.js';
import { alarmStateCounts, formatStatus } from '../../cli/status/format.js';
import { isoDurationMs } from '../../local/fis/experiments.js';
import { instance, snapshot } from '../support/snapshots.js';

describe('stack outputs', () => {
  it('uses the stack’s output keys', () => {
    for (const [name, key] of Object.entries(OUTPUT_KEYS)) expect(OUTPUTS[name as keyof typeof OUTPUTS]).toBe(key);
  });
  it('names the missing output', () => {
    expect(() => stackFacts('X', { LoadBalancerUrl: 'u' })).toThrow(/stack X has no output FleetRequestId/);
  });
});

describe('interrupt planning', () => {
  it('never reduces below 1', () => {
    const three = snapshot([instance('i-1'), instance('i-2'), instance('i-3')]);
    expect(reducedCapacity(three, 2)).toBe(1);
    const two = snapshot([instance('i-1'), instance('i-2')]);
    expect(() => reducedCapacity(two, 2)).toThrow(/refusing to reduce the fleet's target capacity from 2 by 2: at least 1 instance must keep serving, so --by can be at most 1 here/);
    // Asking for more than the fleet has is a usage error (exit 2), not a runtime failure.
    expect(() => reducedCapacity(two, 5)).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => reducedCapacity(three, 0)).toThrow(/--by/);
  });
  it('reduces capacity only while a healthy, not draining target would remain whichever instances the fleet picks', () => {
    // One serving, one still initial: the fleet may pick the serving one.
    expect(() => reducedCapacity(snapshot([instance('i-1'), instance('i-2', { health: 'initial' })]), 1)).toThrow(/only 1 instance\(s\) serve now/);
    // A second run while the first instance drains.
    expect(() => reducedCapacity(snapshot([instance('i-1', { health: 'draining' }), instance('i-2')]), 1)).toThrow(/at least 1|only 1/);
    expect(reducedCapacity(snapshot([instance('i-1'), instance('i-2'), instance('i-3', { health: 'unhealthy' })]), 1)).toBe(2);
  });
  it('chooses healthy instances and refuses foreign ones or all of them', () => {
    const s = snapshot([instance('i-0000000b', { health: 'initial' }), instance('i-0000000a'), instance('i-0000000c')]);
    expect(chooseInstances(s, [], 1)).toEqual(['i-0000000a']);
    expect(() => chooseInstances(s, ['i-0000000f'], 1)).toThrow(/not a running instance of stack SpotWeb's fleet/);
    expect(() => chooseInstances(s, [], 3)).toThrow(/at least 1 must keep serving/);
  });
  it('never lets FIS take the only serving instance: one healthy + one initial, or a second run while one drains', () => {
    expect(() => chooseInstances(snapshot([instance('i-1'), instance('i-2', { health: 'initial' })]), [], 1)).toThrow(/at least 1 must keep serving/);
    expect(() => chooseInstances(snapshot([instance('i-1', { health: 'draining' }), instance('i-2')]), [], 1)).toThrow(/at least 1 must keep serving/);
    // Naming the only serving one is refused too; naming the initial one leaves the healthy one serving.
    const s = snapshot([instance('i-1'), instance('i-2', { health: 'initial' })]);
    expect(() => chooseInstances(s, ['i-1'], 1)).toThrow(/at least 1 must keep serving/);
    expect(chooseInstances(s, ['i-2'], 1)).toEqual(['i-2']);
  });
  it('follows warned → draining → deregistered → gone', () => {
    const before = snapshot([instance('i-1'), instance('i-2')]);
    const followed = new Map<string, Interruption>();
    const steps = [
      snapshot([instance('i-1', { reclaimAt: '2025-01-01T00:00:06Z' }), instance('i-2')], '2025-01-01T00:00:01.000Z'),
      snapshot([instance('i-1', { health: 'draining', reclaimAt: 'x' }), instance('i-2')], '2025-01-01T00:00:02.000Z'),
      snapshot([instance('i-1', { health: 'unused', reclaimAt: 'x' }), instance('i-2')], '2025-01-01T00:00:03.000Z'),
      snapshot([instance('i-2')], '2025-01-01T00:00:06.000Z'),
    ];
    for (const now of steps) {
      for (const id of interruptedSince(before, now)) if (!followed.has(id)) followed.set(id, { instanceId: id });
      observe(followed, now);
    }
    expect([...followed.keys()]).toEqual(['i-1']);
    const i1 = followed.get('i-1')!;
    expect([i1.warnedAt, i1.drainingAt, i1.deregisteredAt, i1.goneAt].map((t) => t! - Date.parse(before.at))).toEqual([1000, 2000, 3000, 6000]);
    expect(drained(i1)).toBe(true);
    expect(drained({ instanceId: 'i-3', goneAt: 1 })).toBe(false);
  });
  it('wraps a report line at its separators to the width, indenting the rest, and keeps a piece too wide for any line whole', () => {
    const steps = '  i-0123456789abcdef0: warned +0.1 s → draining +0.9 s → shutting-down +6.4 s → deregistered +6.6 s → gone +7.4 s  drained, then gone';
    const wrapped = wrapAt(steps, ' → ', 80, '      ');
    expect(wrapped).toEqual([
      '  i-0123456789abcdef0: warned +0.1 s → draining +0.9 s → shutting-down +6.4 s →',
      '      deregistered +6.6 s → gone +7.4 s  drained, then gone',
    ]);
    for (const l of wrapped) expect(l.length).toBeLessThanOrEqual(80);
    // The control: wide enough, one line as before.
    expect(wrapAt(steps, ' → ', 200, '      ')).toEqual([steps]);
    expect(wrapAt('a verylongword b', ' ', 5, ' ')).toEqual(['a', ' verylongword', ' b']);
  });

  it('prints the steps in the order they happened, and says plainly when the drain completed early or was never seen', () => {
    const at = (s: number) => Date.parse('2025-01-01T00:00:00Z') + s * 1000;
    const early: Interruption = { instanceId: 'i-1', warnedAt: at(0.5), drainingAt: at(0.9), drainCompletedAt: at(0.9), shuttingDownAt: at(6.1), deregisteredAt: at(6.9), goneAt: at(8) };
    expect(describeInterruption(early, at(0))).toBe('i-1: warned +0.5 s → draining +0.9 s → shutting-down +6.1 s → deregistered +6.9 s → gone +8.0 s');
    expect(drainNote(early, at(0))).toBe('drain complete +0.9 s (no request in flight, no connection open); ELB shows draining until the deregistration delay ends');
    // Polls see steps late; the drain's completion is exact, and may come first: the note says so.
    expect(drainNote({ ...early, drainCompletedAt: at(0.6) }, at(0))).toBe(
      'drain complete +0.6 s, before a poll saw the target draining (no request in flight, no connection open); ELB shows draining until the deregistration delay ends',
    );
    expect(drainNote({ instanceId: 'i-1', warnedAt: at(0.5), deregisteredAt: at(2.3), goneAt: at(8) }, at(0))).toMatch(/^never seen draining/);
    expect(drainNote({ instanceId: 'i-1', drainingAt: at(1), deregisteredAt: at(7) }, at(0))).toBeUndefined();
    // An instance an earlier command had warned: its warning came before this command started (it read "+-2.8 s").
    expect(describeInterruption({ instanceId: 'i-1', warnedAt: at(-2.8), drainingAt: at(-0.04), goneAt: at(3) }, at(0))).toBe(
      'i-1: warned -2.8 s → draining +0.0 s → gone +3.0 s',
    );
  });
});

describe('fleet snapshot', () => {
  const ec2Instance = (id: string, state = 'running') => ({ InstanceId: id, State: { Name: state as 'running' }, Placement: { AvailabilityZone: 'us-east-1a' }, InstanceType: 't3.micro' as const });
  const base = { target: 'local' as const, stackName: 'SpotWeb', url: 'u', fleetRequestId: 'sfr-1', fleetState: 'active', targetCapacity: 2, now: Date.parse('2025-01-01T00:00:00Z') };
  const local = (targets: LocalStatus['targets']): LocalStatus => ({
    url: 'u', endpoint: 'e', region: 'us-east-1', stackName: 'SpotWeb', outputs: {}, fleet: { requestId: 'sfr-1', targetCapacity: 2, instances: [] }, targets, notifications: [], alarms: [],
  });

  it("takes each target's state from DescribeTargetHealth, and the data plane's extras only where it agrees", () => {
    const s = fleetSnapshot({
      ...base,
      instances: [ec2Instance('i-1'), ec2Instance('i-2'), ec2Instance('i-3', 'shutting-down')],
      elbHealth: new Map([
        ['i-1', { State: 'draining', Reason: 'Target.DeregistrationInProgress' }],
        ['i-2', { State: 'healthy' }],
      ]),
      local: local([
        { id: 'i-1', state: 'draining', drainingUntil: base.now + 4200, drainCompletedAt: base.now - 1000, inFlight: 0, requests: 3 },
        // The data plane a moment ahead of the API answer: ELB's state is shown, not this one.
        { id: 'i-2', state: 'draining', drainingUntil: base.now + 6000, inFlight: 0, requests: 9 },
      ]),
    });
    const byId = new Map(s.instances.map((i) => [i.instanceId, i]));
    expect(byId.get('i-1')).toMatchObject({ health: 'draining', healthReason: 'Target.DeregistrationInProgress', drainingSecondsLeft: 4.2, drainCompletedAt: '2024-12-31T23:59:59.000Z' });
    expect(byId.get('i-2')).toMatchObject({ health: 'healthy' });
    expect(byId.get('i-2')?.drainingSecondsLeft).toBeUndefined();
    // Not listed by ELB: unused, as on AWS.
    expect(byId.get('i-3')).toMatchObject({ health: 'unused', state: 'shutting-down' });
    expect(formatStatus({ ...s, alarms: [] })).toMatch(/draining \(4\.2 s left, drained\)/);
  });
});

describe('status table', () => {
  it('shows capacity, draining seconds left and notifications, without colour codes', () => {
    const text = formatStatus({
      ...snapshot([instance('i-1', { health: 'draining', drainingSecondsLeft: 4.2, requests: 7 }), instance('i-2')]),
      notifications: [{ receivedAt: '2025-01-01T00:00:00Z', message: 'Spot interruption\n of i-1' }],
    });
    expect(text).toMatch(/Fleet capacity 2\/2 \(fulfilled\/target\)/);
    expect(text).toMatch(/draining \(4\.2 s left\)/);
    expect(text).toMatch(/Spot interruption of i-1/);
    expect(text).not.toMatch(/\u001b\[/);
  });

  it('shows a notification whose message starts with its subject (the handler\'s confirmation) without the subject twice', () => {
    const subject = 'spotweb drained Spot instance i-1';
    const text = formatStatus({
      ...snapshot([instance('i-1')]),
      notifications: [
        { receivedAt: '2025-01-01T00:00:00Z', subject, message: `${subject}: deregistered from tg/web` },
        { receivedAt: '2025-01-01T00:00:01Z', subject: 'Other', message: 'text' },
      ],
    });
    expect(text).toMatch(/00:00:00  spotweb drained Spot instance i-1: deregistered from tg\/web$/m);
    expect(text).toMatch(/00:00:01  Other: text$/m);
  });

  it('counts alarm states ALARM first, then INSUFFICIENT_DATA, OK, and any other, without empty states', () => {
    const states = ['OK', 'OK', 'INSUFFICIENT_DATA', 'ALARM', 'OK', 'PENDING'].map((state) => ({ state }));
    expect(alarmStateCounts(states)).toEqual([['ALARM', 1], ['INSUFFICIENT_DATA', 1], ['OK', 3], ['PENDING', 1]]);
    expect(alarmStateCounts([{ state: 'OK' }])).toEqual([['OK', 1]]);
  });

  it('counts the alarms by state and lists those not OK, ALARM with its reason; shows an alarm notification as its subject and reason', () => {
    const text = formatStatus({
      ...snapshot([instance('i-1')]),
      alarms: [
        { name: 'SpotWeb-DeadLetterQueue-Queue-Message-Count-Max-Critical', state: 'ALARM', reason: 'Threshold Crossed: 1 out of the last 1 datapoints [1] was greater than the threshold (0)' },
        { name: 'SpotWeb-Handler-Fault-Count-Critical', state: 'OK' },
      ],
      notifications: [
        {
          receivedAt: '2025-01-01T00:00:00Z',
          subject: 'ALARM: "SpotWeb-DeadLetterQueue-Queue-Message-Count-Max-Critical" in US East (N. Virginia)',
          message: JSON.stringify({ AlarmName: 'SpotWeb-DeadLetterQueue-Queue-Message-Count-Max-Critical', NewStateValue: 'ALARM', NewStateReason: 'Threshold Crossed' }),
        },
      ],
    });
    expect(text).toMatch(/Alarms: 1 ALARM, 1 OK\n  ALARM  SpotWeb-DeadLetterQueue-Queue-Message-Count-Max-Critical  Threshold Crossed: 1 out/);
    // The quiet ones are counted, not listed: nine lines of OK would push the instances off an 80×24 screen.
    expect(text).not.toMatch(/SpotWeb-Handler-Fault-Count-Critical/);
    expect(text).toMatch(/ALARM: "SpotWeb-DeadLetterQueue-Queue-Message-Count-Max-Critical" in US East \(N\. Virginia\) — Threshold Crossed$/m);
  });
});

describe('load statistics', () => {
  it('nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(xs, 50), percentile(xs, 95), percentile(xs, 99), percentile([], 50)]).toEqual([50, 95, 99, 0]);
  });
  it('counts failures by kind and distinct instances', () => {
    const t = new LoadTally();
    t.record({ latencyMs: 1, instanceId: 'i-1' });
    t.record({ latencyMs: 2, instanceId: 'i-2' });
    t.record({ latencyMs: 3, failure: 'http-502' });
    t.record({ latencyMs: 4, failure: 'ECONNREFUSED' });
    const s = t.summary('http://x/', 1000);
    expect(s).toMatchObject({ requests: 4, succeeded: 2, failures: 2, failuresByKind: { 'http-502': 1, ECONNREFUSED: 1 }, instances: ['i-1', 'i-2'] });
    expect(formatLoadSummary(s)).toMatch(/failed: 2 of 4/);
  });
});

describe('argument parsing', () => {
  it('durations and ids', () => {
    expect([parseDuration('30s'), parseDuration('2m'), parseDuration('500ms'), parseDuration('3')]).toEqual([30_000, 120_000, 500, 3000]);
    expect(() => parseDuration('soon')).toThrow(/duration/);
    expect(collectInstanceIds('i-0123456789abcdef0,i-01234567', ['i-0aaaaaaaa'])).toHaveLength(3);
    expect(() => collectInstanceIds('vm-1')).toThrow(/instance id/);
    expect(() => parseFisDuration('PT1M')).toThrow(/PT2M to PT15M/);
    expect([isoDurationMs('PT2M'), isoDurationMs('PT2M30S')]).toEqual([120_000, 150_000]);
  });
});

describe('FIS role', () => {
  const scope = { partition: 'aws-cn', region: 'cn-north-1', account: '123456789012' };
  const trust = fisTrustPolicy(scope);
  const ours = { roleName: 'spotweb-fis-interrupter-SpotWeb', assumeRolePolicyDocument: encodeURIComponent(trust), tags: [{ Key: FIS_ROLE_OWNER_TAG, Value: 'SpotWeb' }], inlinePolicyNames: ['spot-interruptions'], attachedPolicyArns: [] };

  it('takes the partition from the stack, not a hard-coded "aws"', () => {
    expect(partitionOf('arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:targetgroup/tg/1')).toBe('aws-cn');
    expect(() => partitionOf('sfr-1')).toThrow(/not an ARN/);
    expect(JSON.parse(fisRolePolicy(scope, 'sfr-1')).Statement[0].Resource).toBe('arn:aws-cn:ec2:cn-north-1:123456789012:instance/*');
  });

  it('trusts FIS only for experiments of this account and region', () => {
    const [statement] = JSON.parse(trust).Statement;
    expect(statement.Principal).toEqual({ Service: 'fis.amazonaws.com' });
    expect(statement.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '123456789012' },
      ArnLike: { 'aws:SourceArn': 'arn:aws-cn:fis:cn-north-1:123456789012:experiment/*' },
    });
  });

  it('reuses a role only when it is the CLI’s own, unchanged', () => {
    expect(() => checkReusableRole(ours, 'SpotWeb', trust)).not.toThrow();
    expect(() => checkReusableRole({ ...ours, assumeRolePolicyDocument: trust, inlinePolicyNames: [] }, 'SpotWeb', trust)).not.toThrow();
    // The trust the CLI used to create: no condition.
    const old = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'fis.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    expect(() => checkReusableRole({ ...ours, assumeRolePolicyDocument: old }, 'SpotWeb', trust)).toThrow(/refusing to reuse IAM role .*trust policy.*--role-arn/);
    expect(() => checkReusableRole({ ...ours, tags: [] }, 'SpotWeb', trust)).toThrow(/lacks the tag spotweb:fis-role-for=SpotWeb/);
    expect(() => checkReusableRole({ ...ours, attachedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] }, 'SpotWeb', trust)).toThrow(/AdministratorAccess/);
    expect(() => checkReusableRole({ ...ours, inlinePolicyNames: ['spot-interruptions', 'extra'] }, 'SpotWeb', trust)).toThrow(/inline policies the CLI did not write \(extra\)/);
  });
});
