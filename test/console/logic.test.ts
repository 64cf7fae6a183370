import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeSpotInstanceRequestsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_LOAD_RATE, parseActionRequest } from '../../cli/console/actions.js';
import { loadBalancerDimension, readAlbTraffic } from '../../cli/console/cloudwatch.js';
import { readStackAlarms } from '../../cli/stack-alarms.js';
import { consoleBanner } from '../../cli/console/command.js';
import { refuseAction, startConsole, TOKEN_HEADER } from '../../cli/console/server.js';
import { CliError } from '../../cli/errors.js';
import type { Target } from '../../cli/target.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readInterruptionNotices } from '../../cli/console/spot-warnings.js';
import { albRate, markersBetween, withinWindow } from '../../cli/console/timeline.js';
import { instance, snapshot } from '../support/snapshots.js';

describe('timeline markers', () => {
  const t0 = '2025-01-01T00:00:00.000Z';
  const t1 = '2025-01-01T00:00:01.000Z';

  it('marks an interruption step by step: scaling, warning, deregistration, termination, gone', () => {
    const before = snapshot([instance('i-a'), instance('i-b')], t0);
    const warned = snapshot([instance('i-a', { reclaimAt: '2025-01-01T00:02:00.000Z', health: 'draining' }), instance('i-b')], t1, 1);
    expect(markersBetween(before, warned).map((m) => [m.kind, m.instanceId])).toEqual([
      ['scaling', undefined],
      ['warning', 'i-a'],
      ['deregistration', 'i-a'],
    ]);
    expect(markersBetween(before, warned)[0]!.text).toBe('target capacity 2 → 1');
    expect(markersBetween(before, warned).every((m) => m.at === Date.parse(t1))).toBe(true);
    const shutting = snapshot([instance('i-a', { state: 'shutting-down', health: 'unused', reclaimAt: 'x' }), instance('i-b')], t1, 1);
    expect(markersBetween(warned, shutting).map((m) => m.kind)).toEqual(['termination']);
    // Gone after shutting-down: already marked, not twice.
    expect(markersBetween(shutting, snapshot([instance('i-b')], t1, 1))).toEqual([]);
    // Gone without a shutting-down seen in between: marked once.
    expect(markersBetween(warned, snapshot([instance('i-b')], t1, 1)).map((m) => [m.kind, m.text])).toEqual([['termination', 'i-a gone']]);
  });

  it('marks launches, and a deregistration that skipped draining (nothing was in flight)', () => {
    const before = snapshot([instance('i-a')], t0);
    const after = snapshot([instance('i-a', { health: 'unused' }), instance('i-c', { health: 'initial', state: 'pending' })], t1, 1);
    expect(markersBetween(before, after).map((m) => `${m.kind} ${m.text}`)).toEqual([
      'deregistration i-a target deregistered (no longer in the target group)',
      'launch i-c launched (t3.micro, us-east-1a)',
    ]);
  });

  it('does not mark a target that was never in service leaving it', () => {
    const before = snapshot([instance('i-a', { health: 'unused' })], t0);
    expect(markersBetween(before, snapshot([instance('i-a', { health: 'unused' })], t1))).toEqual([]);
  });

  it('turns ALB counter readings into rates, failures being the 5XX the load balancer answered itself', () => {
    const c = (received: number, elb503 = 0, elb502 = 0) => ({ received, elb502, elb503, elb504: 0 });
    expect(albRate({ at: 0, counters: c(10) }, { at: 2000, counters: c(110, 4, 2) })).toEqual({ at: 2000, source: 'alb', requestsPerSecond: 50, failedPerSecond: 3 });
    // A restarted local cloud starts its counters again: no negative rate.
    expect(albRate({ at: 0, counters: c(500) }, { at: 1000, counters: c(3) })).toBeUndefined();
    expect(withinWindow([{ at: 1 }, { at: 5 }, { at: 10 }], 10, 5)).toEqual([{ at: 5 }, { at: 10 }]);
  });
});

describe('console actions from the page', () => {
  it('accepts the four actions and refuses anything else with a reason', () => {
    expect(parseActionRequest({ action: 'interrupt' })).toEqual({ action: 'interrupt' });
    expect(parseActionRequest({ action: 'interrupt-fis', instanceId: 'i-0123456789abcdef0' })).toEqual({ action: 'interrupt-fis', instanceId: 'i-0123456789abcdef0' });
    expect(parseActionRequest({ action: 'load-start', rate: '20' })).toEqual({ action: 'load-start', rate: 20 });
    expect(parseActionRequest({ action: 'load-stop' })).toEqual({ action: 'load-stop' });
    expect(() => parseActionRequest({ action: 'interrupt-fis', instanceId: 'i-1; rm -rf' })).toThrow(/instance id/);
    expect(() => parseActionRequest({ action: 'load-start', rate: MAX_LOAD_RATE + 1 })).toThrow(/at most 500/);
    expect(() => parseActionRequest({ action: 'load-start', rate: 0 })).toThrow(/above 0/);
    expect(() => parseActionRequest({ action: 'delete-stack' })).toThrow(/unknown action "delete-stack"/);
    expect(() => parseActionRequest(null)).toThrow(/unknown action/);
  });

  it('takes an action only with the token, from the page itself, as JSON', () => {
    const origins = new Set(['127.0.0.1:4000', 'localhost:4000']);
    const ok = { [TOKEN_HEADER]: 'secret', 'content-type': 'application/json' };
    expect(refuseAction({ headers: ok }, 'secret', origins)).toBeUndefined();
    expect(refuseAction({ headers: { ...ok, origin: 'http://127.0.0.1:4000', 'sec-fetch-site': 'same-origin' } }, 'secret', origins)).toBeUndefined();
    expect(refuseAction({ headers: { ...ok, [TOKEN_HEADER]: 'secreT' } }, 'secret', origins)?.status).toBe(401);
    expect(refuseAction({ headers: { 'content-type': 'application/json' } }, 'secret', origins)?.status).toBe(401);
    expect(refuseAction({ headers: { ...ok, origin: 'http://127.0.0.1:4001' } }, 'secret', origins)?.status).toBe(403);
    expect(refuseAction({ headers: { ...ok, origin: 'null' } }, 'secret', origins)?.status).toBe(403);
    expect(refuseAction({ headers: { ...ok, 'sec-fetch-site': 'same-site' } }, 'secret', origins)?.status).toBe(403);
    expect(refuseAction({ headers: { ...ok, 'content-type': 'application/x-www-form-urlencoded' } }, 'secret', origins)?.status).toBe(415);
  });
});

describe('console server start-up', () => {
  it('prints where to open it, with no control characters from outside', () => {
    expect(consoleBanner('Spot\u001b[2JWeb', 'local', 'http://127.0.0.1:1/#token=t').split('\n')).toEqual([
      'spotweb console for Spot?[2JWeb (local cloud):',
      '  http://127.0.0.1:1/#token=t',
      'The #token part lets the page interrupt instances and drive load: keep it to',
    'yourself. Ctrl-C stops the console.',
    ]);
  });

  it('says a busy --port is busy and what to do', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      // The port is taken before anything is read, so no stack is needed to see the refusal.
      await expect(startConsole({ target: {} as Target, port })).rejects.toThrow(new CliError(`port ${port} on 127.0.0.1 is in use: pass another --port, or leave it out for a free one`));
    } finally {
      busy.close();
    }
  });
});

describe('Spot interruption notices on AWS', () => {
  const ec2 = mockClient(EC2Client);
  afterEach(() => ec2.reset());

  it("reads them from the instances' Spot requests, with the time their status changed", async () => {
    ec2.on(DescribeSpotInstanceRequestsCommand).resolves({
      SpotInstanceRequests: [
        { InstanceId: 'i-a', Status: { Code: 'marked-for-termination', UpdateTime: new Date('2025-01-01T00:00:05Z') } },
        { InstanceId: 'i-b', Status: { Code: 'fulfilled' } },
      ],
    });
    const notices = await readInterruptionNotices(new EC2Client({ region: 'eu-west-1' }), ['i-a', 'i-b']);
    expect([...notices]).toEqual([['i-a', { at: Date.parse('2025-01-01T00:00:05Z'), code: 'marked-for-termination' }]]);
    expect(ec2.commandCalls(DescribeSpotInstanceRequestsCommand)[0]!.args[0].input.Filters).toEqual([
      { Name: 'instance-id', Values: ['i-a', 'i-b'] },
      { Name: 'status-code', Values: ['marked-for-termination', 'marked-for-stop', 'marked-for-hibernation'] },
    ]);
    expect(await readInterruptionNotices(new EC2Client({ region: 'eu-west-1' }), [])).toEqual(new Map());
    expect(ec2.commandCalls(DescribeSpotInstanceRequestsCommand)).toHaveLength(1);
  });
});

describe('CloudWatch for the console', () => {
  const cw = mockClient(CloudWatchClient);
  afterEach(() => cw.reset());

  it('finds the ALB dimension in its ARN', () => {
    expect(loadBalancerDimension('arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/SpotWe-LoadB-1AB/50dc6c495c0c9188')).toBe('app/SpotWe-LoadB-1AB/50dc6c495c0c9188');
    expect(loadBalancerDimension('arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/x/1')).toBeUndefined();
  });

  it('reads requests and 5XX per second from the 1-minute sums, stamped at the end of their minute', async () => {
    const m0 = new Date('2025-01-01T00:00:00Z');
    const m1 = new Date('2025-01-01T00:01:00Z');
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'requests', Timestamps: [m1, m0], Values: [600, 120] },
        { Id: 'elb5xx', Timestamps: [m1], Values: [6] },
        { Id: 'target5xx', Timestamps: [m1], Values: [3] },
      ],
    });
    const samples = await readAlbTraffic(new CloudWatchClient({ region: 'eu-west-1' }), 'app/x/1', Date.parse('2025-01-01T00:02:30Z'), 600_000);
    expect(samples).toEqual([
      { at: Date.parse('2025-01-01T00:01:00Z'), source: 'cloudwatch', requestsPerSecond: 2, failedPerSecond: 0 },
      { at: Date.parse('2025-01-01T00:02:00Z'), source: 'cloudwatch', requestsPerSecond: 10, failedPerSecond: 0.15 },
    ]);
    const input = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.EndTime).toEqual(new Date('2025-01-01T00:02:00Z'));
    expect(input.MetricDataQueries?.map((q) => q.MetricStat?.Metric?.Dimensions?.[0]?.Value)).toEqual(['app/x/1', 'app/x/1', 'app/x/1']);
  });

  it("lists the stack's alarms across pages, by name prefix", async () => {
    cw.on(DescribeAlarmsCommand, { NextToken: undefined })
      .resolves({ MetricAlarms: [{ AlarmName: 'SpotWeb-Dlq-1', StateValue: 'ALARM', StateReason: 'Threshold Crossed' }], NextToken: 'p2' })
      .on(DescribeAlarmsCommand, { NextToken: 'p2' })
      .resolves({ MetricAlarms: [{ AlarmName: 'SpotWeb-Errors-2', StateValue: 'OK' }] });
    const alarms = await readStackAlarms(new CloudWatchClient({ region: 'eu-west-1' }), 'SpotWeb');
    expect(alarms).toEqual([
      { name: 'SpotWeb-Dlq-1', state: 'ALARM', reason: 'Threshold Crossed' },
      { name: 'SpotWeb-Errors-2', state: 'OK' },
    ]);
    expect(cw.commandCalls(DescribeAlarmsCommand).every((c) => c.args[0].input.AlarmNamePrefix === 'SpotWeb-')).toBe(true);
  });
});
