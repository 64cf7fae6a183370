import { describe, expect, it } from 'vitest';
import { OUTPUTS } from '../../infra/spot-web-stack.js';
import { chooseInstances, drained, interruptedSince, observe, reducedCapacity, type Interruption } from '../../cli/interrupt/plan.js';
import { formatLoadSummary } from '../../cli/load/format.js';
import { LoadTally, percentile } from '../../cli/load/stats.js';
import { collectInstanceIds, parseDuration, parseFisDuration } from '../../cli/parse.js';
import { OUTPUT_KEYS, stackFacts } from '../../cli/stack-facts.js';
import { formatStatus } from '../../cli/status/format.js';
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
    expect(reducedCapacity(3, 2)).toBe(1);
    expect(() => reducedCapacity(2, 2)).toThrow(/refusing to reduce the fleet's target capacity from 2 by 2: at least 1 instance must keep serving, so --by can be at most 1 here/);
    // Asking for more than the fleet has is a usage error (exit 2), not a runtime failure.
    expect(() => reducedCapacity(2, 5)).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => reducedCapacity(2, 0)).toThrow(/--by/);
  });
  it('chooses healthy instances and refuses foreign ones or all of them', () => {
    const s = snapshot([instance('i-0000000b', { health: 'initial' }), instance('i-0000000a'), instance('i-0000000c')]);
    expect(chooseInstances(s, [], 1)).toEqual(['i-0000000a']);
    expect(() => chooseInstances(s, ['i-0000000f'], 1)).toThrow(/not a running instance of stack SpotWeb's fleet/);
    expect(() => chooseInstances(s, [], 3)).toThrow(/at least 1 must keep serving/);
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

  it('lists the alarms, ALARM first with its reason, and shows an alarm notification as its subject and reason', () => {
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
    expect(text).toMatch(/Alarms:\n  ALARM  SpotWeb-DeadLetterQueue-Queue-Message-Count-Max-Critical  Threshold Crossed: 1 out/);
    expect(text).toMatch(/  OK     SpotWeb-Handler-Fault-Count-Critical\n/);
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
