// Through the local endpoint, with the AWS SDK, as a user watching the workshop would: the target group, the
// instance and the fleet as the data plane has them (draining, shutting-down, the replacement counted).
import { DescribeInstancesCommand, DescribeSpotFleetInstancesCommand, DescribeSpotFleetRequestsCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { DeregisterTargetsCommand, DescribeTargetHealthCommand, InvalidTargetException, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createFleetFixture } from '../../harness/fleet-fixture.js';
import { startMoto } from '../../local/moto-server.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../harness/wait-for.js';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { startLoad } from '../support/load.js';

let cloud: LocalCloud;
beforeAll(async () => {
  // The instance app's own watcher off: the handler's deregistration (not failing health checks) takes it out.
  cloud = await startLocalCloud({ port: 0, timeScale: 0.05, spotWatcher: false, workDir: '.local-cloud/e2e-aws-api', context: { requestsPerTarget: '1000000' } });
}, 90_000);
afterAll(async () => {
  await cloud?.close();
});

async function targetHealth(instanceId?: string) {
  const out = await cloud.clients.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: cloud.targetGroupArn, ...(instanceId && { Targets: [{ Id: instanceId }] }) }),
  );
  return out.TargetHealthDescriptions ?? [];
}

async function instanceState(instanceId: string): Promise<string | undefined> {
  const out = await cloud.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

describe('the AWS API answers from the data plane', () => {
  it('an interrupted instance: draining while it drains, shutting-down after the reclaim, and the replacement counted', async () => {
    await waitFor('two healthy targets', async () => (await targetHealth()).filter((d) => d.TargetHealth?.State === 'healthy').length >= 2, 30_000);
    const victim = (await targetHealth()).find((d) => d.TargetHealth?.State === 'healthy')!.Target!.Id!;
    const load = startLoad(cloud.url, 4);
    const seenHealth: string[] = [];
    const seenState: string[] = [];
    const note = (list: string[], value: string | undefined) => {
      if (value && list.at(-1) !== value) list.push(value);
    };
    const terminated = new Promise<void>((resolve) => cloud.fleet.on('terminated', (t) => t.instanceId === victim && resolve()));
    let done = false;
    void terminated.then(() => (done = true));
    cloud.fleet.interrupt(victim);
    try {
      while (!done) {
        const [health] = await targetHealth(victim);
        note(seenHealth, health && `${health.TargetHealth?.State}${health.TargetHealth?.Reason ? `/${health.TargetHealth.Reason}` : ''}`);
        note(seenState, await instanceState(victim));
        await new Promise((r) => setTimeout(r, 50));
      }
      note(seenState, await instanceState(victim));
      // ELB shows the target draining until the deregistration delay ends, which may come after the reclaim.
      await waitFor('the drain shown until the deregistration delay ends', async () => {
        const [health] = await targetHealth(victim);
        note(seenHealth, health && `${health.TargetHealth?.State}${health.TargetHealth?.Reason ? `/${health.TargetHealth.Reason}` : ''}`);
        return health?.TargetHealth?.State !== 'draining';
      }, 30_000);
    } finally {
      await load.stop();
    }
    console.log(`target health: ${seenHealth.join(' → ')}; instance: ${seenState.join(' → ')}`);

    expect(seenHealth[0]).toBe('healthy');
    expect(seenHealth).toContain('draining/Target.DeregistrationInProgress');
    expect(seenHealth.at(-1)).toBe('unused/Target.NotRegistered');
    expect(seenState).toEqual(['running', 'shutting-down', 'terminated']);

    // The replacement: listed by the fleet API and counted in its fulfilled capacity, new targets start `initial`.
    await waitFor('the fleet back at its target capacity', () => cloud.fleet.instances().filter((i) => !i.reclaimAt).length >= cloud.fleet.capacity, 30_000);
    const live = cloud.fleet.instances().map((i) => i.instanceId).sort();
    const listed = await cloud.clients.ec2.send(new DescribeSpotFleetInstancesCommand({ SpotFleetRequestId: cloud.fleetRequestId }));
    expect((listed.ActiveInstances ?? []).map((i) => i.InstanceId).sort()).toEqual(live);
    const requests = await cloud.clients.ec2.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: [cloud.fleetRequestId] }));
    expect(requests.SpotFleetRequestConfigs?.[0]?.SpotFleetRequestConfig?.FulfilledCapacity).toBe(live.length);
  }, 120_000);

  // ELB API reference, TargetHealth: `unused` / `Target.InvalidState`, "the target is in the stopped or terminated
  // state". An instance terminated behind the fleet's back (a user, a script), never deregistered by anyone.
  it('a terminated instance asked about by id is unused / Target.InvalidState (not a new registration)', async () => {
    await waitFor('two healthy targets', async () => (await targetHealth()).filter((d) => d.TargetHealth?.State === 'healthy').length >= 2, 60_000);
    const victim = (await targetHealth()).find((d) => d.TargetHealth?.State === 'healthy')!.Target!.Id!;
    await cloud.clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: [victim] }));
    await waitFor('the instance terminated', async () => (await instanceState(victim)) === 'terminated', 30_000);
    const seen: string[] = [];
    // ELB drops a terminated instance from the group (moto too): draining until the deregistration delay ends
    // (6 s here), then the target is no longer listed, and asked for by id it is unused because of its state.
    await waitFor(
      'the target no longer listed',
      async () => {
        const [byId] = await targetHealth(victim);
        const state = `${byId?.TargetHealth?.State}/${byId?.TargetHealth?.Reason}`;
        if (seen.at(-1) !== state) seen.push(state);
        return !(await targetHealth()).some((d) => d.Target?.Id === victim);
      },
      30_000,
    );
    const [byId] = await targetHealth(victim);
    console.log(`terminated ${victim}, asked for by id: ${seen.join(' → ')} → ${byId?.TargetHealth?.State}/${byId?.TargetHealth?.Reason}`);
    expect(byId?.TargetHealth).toMatchObject({ State: 'unused', Reason: 'Target.InvalidState', Description: 'Target is in the terminated state' });
    expect(seen).not.toContain('initial/Elb.RegistrationInProgress');
  }, 120_000);
});

// ELB API reference, DeregisterTargets: "If the specified target does not exist, the action returns successfully";
// InvalidTarget is for a target that does not exist at all. moto alone (the control) fails the repeat.
describe('DeregisterTargets answers as ELB does', () => {
  const deregister = (ids: readonly string[]) =>
    cloud.clients.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: cloud.targetGroupArn, Targets: ids.map((Id) => ({ Id })) }));
  const stateOf = async (id: string) => (await targetHealth(id))[0]?.TargetHealth?.State;
  const failures = (results: PromiseSettledResult<unknown>[]) => results.filter((r) => r.status === 'rejected').length;

  it('control: moto alone fails a repeated deregistration, and some of 5 identical ones at once, with InvalidTarget', async () => {
    const moto = await startMoto();
    try {
      const fixture = await createFleetFixture(moto.endpoint, { fleetInstances: 2, foreignInstances: 0 });
      const [one, two] = fixture.fleetInstanceIds;
      const send = (id: string) => fixture.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: fixture.targetGroupArn, Targets: [{ Id: id }] }));
      await send(one!);
      await expect(send(one!)).rejects.toBeInstanceOf(InvalidTargetException);
      expect(failures(await Promise.allSettled(Array.from({ length: 5 }, () => send(two!))))).toBeGreaterThan(0);
      fixture.ec2.destroy();
      fixture.elbv2.destroy();
    } finally {
      await moto.stop();
    }
  }, 60_000);

  it('a repeated deregistration and 5 identical ones at once all succeed, the target draining; an instance that does not exist is InvalidTarget', async () => {
    const [first, second] = await waitFor('two healthy targets', async () => {
      const healthy = (await targetHealth()).filter((d) => d.TargetHealth?.State === 'healthy').map((d) => d.Target!.Id!);
      return healthy.length >= 2 ? healthy : undefined;
    }, 60_000);
    try {
      await deregister([first!]);
      await deregister([first!]);
      expect(await stateOf(first!)).toBe('draining');
      // Five deliveries of one event at the same moment: ELB answers every one with success.
      expect(failures(await Promise.allSettled(Array.from({ length: 5 }, () => deregister([second!]))))).toBe(0);
      expect(await stateOf(second!)).toBe('draining');
      await expect(deregister(['i-0000000000000dead'])).rejects.toBeInstanceOf(InvalidTargetException);
      await expect(deregister([first!, 'i-0000000000000dead'])).rejects.toBeInstanceOf(InvalidTargetException);
    } finally {
      await cloud.clients.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: cloud.targetGroupArn, Targets: [{ Id: first! }, { Id: second! }] }));
    }
  }, 120_000);
});
