import { describe, expect, it } from 'vitest';
import { parseMatcher } from '../../local/alb/matcher.js';
import { endToEndHeaders } from '../../local/alb/proxy.js';
import { RequestLog } from '../../local/alb/request-log.js';
import { INITIAL_HEALTH, applyProbe, type HealthTally, type ProbeResult } from '../../local/alb/target-health.js';

describe('parseMatcher', () => {
  it('accepts single codes, lists and ranges', () => {
    const matches = parseMatcher('200,202, 300-304');
    expect([200, 201, 202, 300, 302, 304, 305, 404].filter(matches)).toEqual([200, 202, 300, 302, 304]);
  });

  it.each(['', '2xx', '200-', '299-200', '99', '200;204'])('rejects %j', (bad) => {
    expect(() => parseMatcher(bad)).toThrow(/bad health check matcher/);
  });
});

describe('applyProbe', () => {
  const thresholds = { healthyThreshold: 3, unhealthyThreshold: 2 };
  const ok: ProbeResult = { ok: true };
  const bad: ProbeResult = { ok: false, reason: 'Target.Timeout', description: 'Request timed out' };
  const run = (start: HealthTally, results: ProbeResult[]) =>
    results.map((r) => (start = applyProbe(start, r, thresholds)).state);

  it('needs healthyThreshold successes in a row to leave initial', () => {
    expect(run(INITIAL_HEALTH, [ok, ok, bad, ok, ok, ok])).toEqual([
      'initial',
      'initial',
      'initial',
      'initial',
      'initial',
      'healthy',
    ]);
  });

  it('needs unhealthyThreshold failures in a row to leave healthy, and keeps the reason', () => {
    let tally: HealthTally = { state: 'healthy', successes: 5, failures: 0 };
    expect(run(tally, [bad, ok, bad, bad])).toEqual(['healthy', 'healthy', 'healthy', 'unhealthy']);
    for (const r of [bad, bad]) tally = applyProbe(tally, r, thresholds);
    expect(tally).toMatchObject({ state: 'unhealthy', reason: 'Target.Timeout', description: 'Request timed out' });
  });

  it('marks an initial target that keeps failing unhealthy', () => {
    expect(run(INITIAL_HEALTH, [bad, bad])).toEqual(['initial', 'unhealthy']);
  });

  it('recovers an unhealthy target after healthyThreshold successes', () => {
    const unhealthy: HealthTally = { state: 'unhealthy', reason: 'Target.Timeout', successes: 0, failures: 4 };
    const states = run(unhealthy, [ok, ok, ok]);
    expect(states).toEqual(['unhealthy', 'unhealthy', 'healthy']);
  });
});

describe('RequestLog', () => {
  it('counts events in a window to bucket resolution', () => {
    const log = new RequestLog(100, 10_000);
    for (const t of [1_000, 1_050, 1_150, 5_000, 9_990]) log.add(t);
    expect(log.count(0, 10_000)).toBe(5);
    expect(log.count(1_100, 10_000)).toBe(3);
    expect(log.count(1_099, 10_000)).toBe(5); // the bucket holding `since` counts whole
    expect(log.count(5_001, 9_000)).toBe(1);
  });

  it('forgets what is older than its retention once the slot is reused', () => {
    const log = new RequestLog(100, 1_000);
    log.add(0);
    log.add(1_100); // same slot, a later bucket
    expect(log.count(0, 2_000)).toBe(1);
  });

  it('rejects a zero bucket', () => {
    expect(() => new RequestLog(0)).toThrow(RangeError);
  });
});

describe('endToEndHeaders', () => {
  it('drops hop-by-hop headers and those the Connection header names', () => {
    const out = endToEndHeaders({
      connection: 'keep-alive, x-hop',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'x-hop': '1',
      'x-end': '2',
      'set-cookie': ['a=1', 'b=2'],
    });
    expect(out).toEqual({ 'x-end': '2', 'set-cookie': ['a=1', 'b=2'] });
  });
});
