import { describe, expect, it } from 'vitest';
import { deregisterTargetsInterceptor } from '../../local/alb/deregister-targets-api.js';
import { targetMembers, withTargets } from '../../local/alb/target-members.js';
import { describeTargetHealthXml, parseMotoTargetHealth, targetHealthViews } from '../../local/alb/target-health-api.js';
import { activeInstances, withFulfilledCapacity, withShuttingDown, type FleetView } from '../../local/spot/fleet-api.js';

const snapshot = (id: string, state: 'initial' | 'healthy' | 'unhealthy' | 'draining', reason?: string) => ({ id, state, ...(reason && { reason }), inFlight: 0, requests: 0 });

describe('DescribeTargetHealth from the data plane', () => {
  const moto = parseMotoTargetHealth(
    '<TargetHealthDescriptions><member><Target><Id>i-a</Id><Port>80</Port></Target><TargetHealth><State>healthy</State></TargetHealth></member>' +
      '<member><Target><Id>i-new</Id><Port>80</Port></Target><TargetHealth><State>healthy</State></TargetHealth></member></TargetHealthDescriptions>',
  );

  it('control group: moto alone calls a target healthy that the ALB has not checked yet, and forgets a draining one', () => {
    expect(moto.map((t) => `${t.id}=${t.state}`)).toEqual(['i-a=healthy', 'i-new=healthy']);
  });

  it('answers the data plane state, registrations in progress as initial, and draining targets moto dropped', () => {
    const views = targetHealthViews({
      dataPlane: [snapshot('i-a', 'unhealthy', 'Target.FailedHealthChecks'), snapshot('i-gone', 'draining', 'Target.DeregistrationInProgress')],
      moto,
      requested: [],
      defaultPort: 80,
    });
    expect(views.map((v) => `${v.id}=${v.state}/${v.reason}`)).toEqual([
      'i-a=unhealthy/Target.FailedHealthChecks',
      'i-new=initial/Elb.RegistrationInProgress',
      'i-gone=draining/Target.DeregistrationInProgress',
    ]);
  });

  // ELB API reference, TargetHealth: `Target.InvalidState` - "The target is in the stopped or terminated state".
  it('a registered target whose instance is stopped or terminated is unused / Target.InvalidState; a draining one stays draining', () => {
    const stopped = parseMotoTargetHealth(
      '<TargetHealthDescriptions><member><Target><Id>i-stopped</Id><Port>80</Port></Target><TargetHealth><Description>Target is in the stopped state</Description>' +
        '<Reason>Target.InvalidState</Reason><State>unused</State></TargetHealth></member>' +
        '<member><Target><Id>i-ended</Id><Port>80</Port></Target><TargetHealth><State>draining</State></TargetHealth></member></TargetHealthDescriptions>',
    );
    const input = {
      // The sync took the stopped instance out of the data plane, which drains it; moto keeps the terminated one aside.
      dataPlane: [snapshot('i-stopped', 'draining', 'Target.DeregistrationInProgress'), snapshot('i-leaving', 'draining', 'Target.DeregistrationInProgress')],
      moto: stopped,
      requested: [{ id: 'i-ended' }, { id: 'i-leaving' }, { id: 'i-stopped' }],
      defaultPort: 80,
    };
    // Control group: without the instance states, a terminated instance moto keeps aside looks like a new registration.
    expect(targetHealthViews(input).map((v) => `${v.id}=${v.state}/${v.reason}`)).toEqual([
      'i-ended=initial/Elb.RegistrationInProgress',
      'i-leaving=draining/Target.DeregistrationInProgress',
      'i-stopped=unused/Target.InvalidState',
    ]);
    const views = targetHealthViews({ ...input, terminated: new Set(['i-ended', 'i-leaving']) });
    expect(views.map((v) => `${v.id}=${v.state}/${v.reason}`)).toEqual([
      'i-ended=unused/Target.InvalidState',
      'i-leaving=draining/Target.DeregistrationInProgress',
      'i-stopped=unused/Target.InvalidState',
    ]);
    expect(views[0]?.description).toBe('Target is in the terminated state');
  });

  it('a target asked about by id and registered nowhere is unused / Target.NotRegistered, in a well-formed answer', () => {
    const views = targetHealthViews({ dataPlane: [], moto: [], requested: [{ id: 'i-x' }], defaultPort: 80 });
    expect(views).toEqual([{ id: 'i-x', port: 80, state: 'unused', reason: 'Target.NotRegistered', description: 'Target is not registered to the target group' }]);
    expect(describeTargetHealthXml(views, 'r')).toContain('<State>unused</State>');
  });
});

describe('DeregisterTargets as ELB answers it', () => {
  const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef';
  const request = (ids: string[]) => ({
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20261130/us-east-1/elasticloadbalancing/aws4_request' },
    body: Buffer.from(new URLSearchParams([['Action', 'DeregisterTargets'], ['TargetGroupArn', TG], ...ids.map((id, i): [string, string] => [`Targets.member.${i + 1}.Id`, id])]).toString()),
  });
  const invalidTarget = { status: 400, body: '<ErrorResponse><Error><Code>InvalidTarget</Code></Error></ErrorResponse>' };
  const ok = { status: 200, body: '<DeregisterTargetsResponse/>' };
  /** moto's answers in order, what is registered, whether the instances exist; records every call. */
  const setup = (answers: Array<{ status: number; body: string }>, registered: string[], exist: boolean) => {
    const calls: string[] = [];
    const interceptor = deregisterTargetsInterceptor({
      targetGroupArn: TG,
      registeredInMoto: async () => (calls.push('registered'), new Set(registered)),
      instancesInTargetGroupVpc: async (ids) => (calls.push(`in vpc ${ids.join(',')}`), exist),
      send: async (_original, rewritten) => (calls.push(rewritten ? `send ${new URLSearchParams(rewritten.body.toString()).getAll('Targets.member.1.Id').join(',')}` : 'send'), answers.shift()!),
      accepted: () => void calls.push('accepted'),
    });
    return { interceptor, calls };
  };

  it('reads every target member whatever the numbering, and rewrites them renumbered with all their fields', () => {
    const params = new URLSearchParams('Action=DeregisterTargets&TargetGroupArn=tg&Targets.member.1.Id=i-a&Targets.member.3.Id=i-b&Targets.member.3.Port=81&Targets.member.3.AvailabilityZone=all&Version=2015-12-01');
    const members = targetMembers(params);
    expect(members.map((m) => [m.n, Object.fromEntries(m.fields)])).toEqual([[1, { Id: 'i-a' }], [3, { Id: 'i-b', Port: '81', AvailabilityZone: 'all' }]]);
    expect(withTargets(params, [members[1]!])).toBe('Action=DeregisterTargets&TargetGroupArn=tg&Version=2015-12-01&Targets.member.1.Id=i-b&Targets.member.1.Port=81&Targets.member.1.AvailabilityZone=all');
  });

  it("passes moto's answer on when it is not InvalidTarget: a success, and AccessDenied for a caller without the permission", async () => {
    for (const answer of [ok, { status: 403, body: '<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>' }]) {
      const { interceptor, calls } = setup([answer], [], true);
      expect(await interceptor(request(['i-a']))).toBe(answer);
      expect(calls).toEqual(['send']);
    }
  });

  it("turns moto's InvalidTarget for targets no longer registered into ELB's success, the whole request reported accepted", async () => {
    const { interceptor, calls } = setup([invalidTarget], [], true);
    const answer = await interceptor(request(['i-draining']));
    expect(answer).toMatchObject({ status: 200 });
    expect(answer && 'body' in answer && answer.body.toString()).toMatch(/^<DeregisterTargetsResponse .*<DeregisterTargetsResult\/>/);
    expect(calls).toEqual(['send', 'registered', 'in vpc i-draining', 'accepted']);
  });

  it('sends on the targets still registered when moto stopped at one that is not', async () => {
    const { interceptor, calls } = setup([invalidTarget, ok], ['i-other'], true);
    expect(await interceptor(request(['i-draining', 'i-other']))).toBe(ok);
    expect(calls).toEqual(['send', 'registered', 'in vpc i-draining', 'send i-other']);
  });

  it('keeps InvalidTarget for an instance that does not exist or lives in another VPC, alone or beside a registered one', async () => {
    for (const ids of [['i-gone'], ['i-gone', 'i-other']]) {
      const { interceptor } = setup([invalidTarget], ['i-other'], false);
      expect(await interceptor(request(ids))).toBe(invalidTarget);
    }
  });
});

describe('the fleet EC2 calls from the Spot emulation', () => {
  const fleet: FleetView = {
    fleetRequestId: 'sfr-1',
    live: () => [{ instanceId: 'i-1', instanceType: 't3.micro' }, { instanceId: 'i-replacement', instanceType: 't3.small' }],
    shuttingDown: () => new Set(['i-old']),
    terminated: () => new Set(),
  };

  it('lists the replacement moto does not know and drops the instance shutting down', () => {
    const ids = activeInstances([{ instanceId: 'i-1' }, { instanceId: 'i-old' }], fleet).map((i) => i.instanceId);
    expect(ids.sort()).toEqual(['i-1', 'i-replacement']);
  });

  it("sets our fleet's fulfilled capacity and leaves another fleet's alone", () => {
    const xml =
      '<item><spotFleetRequestConfig><fulfilledCapacity>1.0</fulfilledCapacity></spotFleetRequestConfig><spotFleetRequestId>sfr-1</spotFleetRequestId></item>' +
      '<item><spotFleetRequestConfig><fulfilledCapacity>5.0</fulfilledCapacity></spotFleetRequestConfig><spotFleetRequestId>sfr-2</spotFleetRequestId></item>';
    const out = withFulfilledCapacity(xml, 'sfr-1', 2);
    expect(out).toContain('<fulfilledCapacity>2</fulfilledCapacity></spotFleetRequestConfig><spotFleetRequestId>sfr-1<');
    expect(out).toContain('<fulfilledCapacity>5.0</fulfilledCapacity></spotFleetRequestConfig><spotFleetRequestId>sfr-2<');
  });

  it('reports a reclaimed instance shutting-down and no other', () => {
    const xml =
      '<item><instanceId>i-old</instanceId><imageId>ami</imageId><instanceState><code>16</code><name>running</name></instanceState></item>' +
      '<item><instanceId>i-1</instanceId><instanceState><code>16</code><name>running</name></instanceState></item>';
    const out = withShuttingDown(xml, new Set(['i-old']));
    expect(out).toContain('<instanceId>i-old</instanceId><imageId>ami</imageId><instanceState><code>32</code><name>shutting-down</name>');
    expect(out).toContain('<instanceId>i-1</instanceId><instanceState><code>16</code><name>running</name>');
  });
});
