import {
  CreateVpcCommand,
  EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  LocalLoadBalancer,
  TargetGroupSync,
  diffTargets,
  readTargetGroupSettings,
  registeredIds,
  scaleSettings,
  settingsFromTargetGroup,
  type SyncResult,
  type TargetGroupSettings,
  type TargetState,
} from '../../local/alb/index.js';
import { SimulatedClock } from '../../local/clock.js';
import { motoClientConfig, startMoto, type MotoServer } from '../../local/moto-server.js';
import { HttpTarget, get, waitFor } from './support/http-target.js';

describe('registeredIds and diffTargets', () => {
  it('counts every state but unused and draining as registered', () => {
    const ids = registeredIds([
      { Target: { Id: 'i-1' }, TargetHealth: { State: 'healthy' } },
      { Target: { Id: 'i-2' }, TargetHealth: { State: 'unused', Reason: 'Target.InvalidState' } },
      { Target: { Id: 'i-3' }, TargetHealth: { State: 'draining' } },
      { Target: { Id: 'i-4' }, TargetHealth: { State: 'initial' } },
      { TargetHealth: { State: 'healthy' } },
    ]);
    expect([...ids]).toEqual(['i-1', 'i-4']);
  });

  it('registers what is new or draining locally, deregisters what moto dropped', () => {
    const diff = diffTargets(new Set(['a', 'b', 'c']), [
      { id: 'a', state: 'healthy' },
      { id: 'b', state: 'draining' },
      { id: 'd', state: 'unhealthy' },
    ]);
    expect(diff).toEqual({ registered: ['b', 'c'], deregistered: ['d'] });
  });
});

describe('target group settings', () => {
  const real: TargetGroupSettings = settingsFromTargetGroup(
    {
      HealthCheckPath: '/health',
      HealthCheckIntervalSeconds: 10,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 3,
      UnhealthyThresholdCount: 2,
      Matcher: { HttpCode: '200-299' },
    },
    [{ Key: 'deregistration_delay.timeout_seconds', Value: '120' }],
  );

  it('converts seconds to milliseconds and fills AWS defaults', () => {
    expect(real).toEqual({
      healthCheck: {
        path: '/health',
        intervalMs: 10_000,
        timeoutMs: 5_000,
        healthyThreshold: 3,
        unhealthyThreshold: 2,
        matcher: '200-299',
      },
      deregistrationDelayMs: 120_000,
    });
    expect(settingsFromTargetGroup({}, [])).toEqual({
      healthCheck: { path: '/', intervalMs: 30_000, timeoutMs: 5_000, healthyThreshold: 5, unhealthyThreshold: 2, matcher: '200' },
      deregistrationDelayMs: 300_000,
    });
  });

  it('scales every duration and no count', () => {
    expect(scaleSettings(real, new SimulatedClock(0.05))).toEqual({
      healthCheck: { ...real.healthCheck, intervalMs: 500, timeoutMs: 250 },
      deregistrationDelayMs: 6_000,
    });
    const tiny = scaleSettings(real, new SimulatedClock(0.0001));
    expect(tiny.healthCheck.timeoutMs).toBeLessThan(tiny.healthCheck.intervalMs);
    expect(() => scaleSettings(real, new SimulatedClock(0))).toThrow(/timeScale/);
  });
});

describe('TargetGroupSync and changes pushed from the gateway', () => {
  /** A data plane that only keeps states: register → initial, deregister → draining. */
  function dataPlane(ids: readonly string[]) {
    const states = new Map<string, TargetState>(ids.map((id) => [id, 'healthy']));
    return {
      targets: () => [...states].map(([id, state]) => ({ id, state })),
      register: (id: string) => (states.set(id, 'initial'), true),
      deregister: (id: string) => (states.set(id, 'draining'), true),
      state: (id: string) => states.get(id),
    };
  }
  /** moto's DescribeTargetHealth, answered when the test says: `answer(ids)` lists those as healthy. */
  function slowMoto() {
    let answer: (ids: readonly string[]) => void = () => undefined;
    const elbv2 = {
      send: () =>
        new Promise((resolve) => {
          answer = (ids) => resolve({ TargetHealthDescriptions: ids.map((Id) => ({ Target: { Id }, TargetHealth: { State: 'healthy' } })) });
        }),
    } as unknown as ElasticLoadBalancingV2Client;
    return { elbv2, answer: (ids: readonly string[]) => answer(ids) };
  }

  it('a sync that asked moto before a pushed DeregisterTargets does not register the draining target again (control: the change applied without applyPushed)', async () => {
    const run = async (push: (sync: TargetGroupSync, lb: ReturnType<typeof dataPlane>) => void) => {
      const moto = slowMoto();
      const lb = dataPlane(['i-a', 'i-b']);
      const sync = new TargetGroupSync({ elbv2: moto.elbv2, targetGroupArn: 'tg', loadBalancer: lb });
      const stale = sync.syncNow();
      // The deregistration lands in moto and reaches the data plane while the sync's question is under way.
      push(sync, lb);
      moto.answer(['i-a', 'i-b']);
      await stale;
      const afterStale = lb.state('i-a');
      const next = sync.syncNow();
      moto.answer(['i-b']);
      await next;
      return [afterStale, lb.state('i-a')];
    };

    // Control: the stale answer registers the draining target again (`initial`) until the next sync takes it out.
    expect(await run((_sync, lb) => lb.deregister('i-a'))).toEqual(['initial', 'draining']);
    expect(await run((sync) => sync.applyPushed('DeregisterTargets', ['i-a']))).toEqual(['draining', 'draining']);
  });

  it('a sync that asked after the push applies moto\'s answer to that target again', async () => {
    const moto = slowMoto();
    const lb = dataPlane(['i-a']);
    const sync = new TargetGroupSync({ elbv2: moto.elbv2, targetGroupArn: 'tg', loadBalancer: lb });
    sync.applyPushed('DeregisterTargets', ['i-a']);
    // moto says otherwise (say, registered again by a call that did not go through the gateway): the sync follows it.
    const asked = sync.syncNow();
    moto.answer(['i-a']);
    expect(await asked).toEqual({ registered: ['i-a'], deregistered: [] });
  });
});

describe('TargetGroupSync against moto', () => {
  let moto: MotoServer;
  let ec2: EC2Client;
  let elbv2: ElasticLoadBalancingV2Client;
  // One of the AMIs moto ships (moto/ec2/resources/amis.json.gz); listing them all takes seconds.
  const imageId = 'ami-03cf127a';
  const fleet = new Map<string, HttpTarget>();
  let targetGroupArn: string;
  let lb: LocalLoadBalancer;
  let sync: TargetGroupSync;
  const changes: SyncResult[] = [];

  beforeAll(async () => {
    moto = await startMoto();
    ec2 = new EC2Client(motoClientConfig(moto.endpoint));
    elbv2 = new ElasticLoadBalancingV2Client(motoClientConfig(moto.endpoint));
  });
  afterAll(async () => {
    ec2?.destroy();
    elbv2?.destroy();
    await moto?.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const group = await elbv2.send(
      new CreateTargetGroupCommand({
        Name: 'web',
        Protocol: 'HTTP',
        Port: 80,
        VpcId: vpc.Vpc?.VpcId,
        HealthCheckPath: '/health',
        HealthCheckIntervalSeconds: 10,
        HealthCheckTimeoutSeconds: 5,
        HealthyThresholdCount: 2,
        UnhealthyThresholdCount: 2,
        Matcher: { HttpCode: '200' },
      }),
    );
    targetGroupArn = group.TargetGroups?.[0]?.TargetGroupArn as string;
    await elbv2.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: targetGroupArn,
        Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '120' }],
      }),
    );
    // Real time / 100: checks every 100 ms, a 1.2 s drain.
    const settings = await readTargetGroupSettings(elbv2, targetGroupArn, new SimulatedClock(0.01));
    lb = new LocalLoadBalancer({ ...settings, resolveTarget: (id) => fleet.get(id)?.endpoint });
    await lb.start();
    changes.length = 0;
    sync = new TargetGroupSync({ elbv2, targetGroupArn, loadBalancer: lb, pollMs: 100, onChange: (c) => changes.push(c) });
  });
  afterEach(async () => {
    await sync.stop();
    await lb.close();
    for (const target of fleet.values()) await target.kill();
    fleet.clear();
  });

  async function launch(count: number): Promise<string[]> {
    const run = await ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: count, MaxCount: count }));
    const ids = (run.Instances ?? []).map((i) => i.InstanceId as string);
    for (const id of ids) fleet.set(id, await new HttpTarget(id).start());
    return ids;
  }

  const ids = () => lb.targets().map((t) => t.id).sort();

  it('reads the health check and deregistration delay from moto, scaled', async () => {
    expect(await readTargetGroupSettings(elbv2, targetGroupArn, new SimulatedClock(0.05))).toEqual({
      healthCheck: { path: '/health', intervalMs: 500, timeoutMs: 250, healthyThreshold: 2, unhealthyThreshold: 2, matcher: '200' },
      deregistrationDelayMs: 6_000,
    });
  });

  it('picks up RegisterTargets and DeregisterTargets within a poll or two', async () => {
    const [first, second] = await launch(2);
    sync.start();
    expect(await sync.syncNow()).toEqual({ registered: [], deregistered: [] });

    await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: first }, { Id: second }] }));
    const registeredAt = Date.now();
    await waitFor(() => ids().length === 2, 2_000, 'both targets locally');
    const registerLag = Date.now() - registeredAt;

    await waitFor(() => lb.targets().every((t) => t.state === 'healthy'), 3_000, 'healthy targets');
    const url = lb.url;
    const bodies = new Set<string>();
    for (let i = 0; i < 4; i++) bodies.add((await get(url)).body);
    expect([...bodies].sort()).toEqual([first, second].sort());

    await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: first }] }));
    const deregisteredAt = Date.now();
    // The sync's lag ends when the load balancer starts draining the target; the drain itself lasts while the
    // load balancer keeps a connection to it open (ELB "Deregistration delay"), which is not the sync's doing.
    await waitFor(() => lb.targets().find((t) => t.id === first)?.state !== 'healthy', 2_000, 'first target draining or gone');
    const deregisterLag = Date.now() - deregisteredAt;
    await waitFor(() => !ids().includes(first), 10_000, 'first target gone');

    expect(ids()).toEqual([second]);
    expect(registerLag).toBeLessThan(1_000);
    expect(deregisterLag).toBeLessThan(1_000);
    console.info(`sync lag: register ${registerLag} ms, deregister ${deregisterLag} ms (pollMs 100)`);
  });

  it('drops targets moto no longer counts: terminated and stopped instances', async () => {
    const [terminated, stopped, kept] = await launch(3);
    await elbv2.send(
      new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: terminated }, { Id: stopped }, { Id: kept }] }),
    );
    expect(await sync.syncNow()).toEqual({ registered: [terminated, stopped, kept], deregistered: [] });

    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [terminated] }));
    await ec2.send(new StopInstancesCommand({ InstanceIds: [stopped] }));
    expect(await sync.syncNow()).toEqual({ registered: [], deregistered: [terminated, stopped] });
    // Out of service at once; shown draining until the deregistration delay ends, then gone.
    expect(lb.targets().filter((t) => t.state !== 'draining').map((t) => t.id)).toEqual([kept]);
    await waitFor(() => ids().length === 1, 3_000, 'the drained targets removed');
    expect(ids()).toEqual([kept]);
  });

  it('syncNow during a sync under way runs one more sync after it', async () => {
    const [id] = await launch(1);
    await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: id }] }));
    const first = sync.syncNow();
    const second = sync.syncNow();
    const third = sync.syncNow();
    expect(second).not.toBe(first);
    expect(third).toBe(second);
    // Run side by side, both would have read moto before either registered: both would report the id.
    expect(await first).toEqual({ registered: [id], deregistered: [] });
    expect(await second).toEqual({ registered: [], deregistered: [] });
    expect(ids()).toEqual([id]);
  });

  it('keeps a deregistered target draining locally while a request is in flight', async () => {
    const [id] = await launch(1);
    await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: id }] }));
    sync.start();
    await waitFor(() => lb.targets()[0]?.state === 'healthy', 3_000, 'healthy target');

    const slow = get(`${lb.url}/slow?ms=500`);
    await waitFor(() => lb.targets()[0]?.inFlight === 1);
    await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: id }] }));
    await waitFor(() => lb.targets()[0]?.state === 'draining', 1_000, 'draining');

    expect((await get(lb.url)).status).toBe(503);
    expect(await slow).toMatchObject({ status: 200, body: id });
    // Drained, and shown draining until the 1.2 s deregistration delay ends, as ELB shows it.
    await waitFor(() => lb.targets()[0]?.drainCompletedAt !== undefined || lb.targets().length === 0, 1_000, 'drain complete');
    await waitFor(() => lb.targets().length === 0, 2_000, 'removal');
  });

  it('reports a failing poll and goes on polling', async () => {
    const errors: unknown[] = [];
    const broken = new TargetGroupSync({
      elbv2,
      targetGroupArn: `${targetGroupArn}-missing`,
      loadBalancer: lb,
      pollMs: 20,
      onError: (e) => errors.push(e),
    });
    broken.start();
    await waitFor(() => errors.length >= 2, 3_000, 'two failed polls');
    await broken.stop();
    expect(String(errors[0])).toMatch(/TargetGroupNotFound|not found/i);
  });
});
