// IAM mistakes show up locally: the local cloud's moto enforces IAM, the handler runs with its execution role's
// session and the Spot emulation launches with the fleet's IamFleetRole. Each role is measured with and without
// one action it needs, in one run (the role in the local cloud changed through the AWS API, as a user would).
import { DescribeSpotFleetRequestsCommand, ModifySpotFleetRequestCommand } from '@aws-sdk/client-ec2';
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { LOCAL_CREDENTIALS } from '../../local/contract.js';
import { roleNameOf, standInName } from '../../local/iam/role-sessions.js';
import { parsePolicyDocument, statementsOf, listOf, type PolicyStatement } from '../../local/iam/policy-document.js';
import { findResource, lambdaFunctions } from '../../local/stack-reader.js';
import { OUTPUTS } from '../../infra/spot-web-stack.js';
import { interruptionWarning } from '../../harness/ec2-events.js';
import { waitFor } from '../../harness/wait-for.js';

describe('IAM enforced in the local cloud', () => {
  let cloud: LocalCloud;
  let iam: IAMClient;
  const lines: string[] = [];

  /** The role's inline policy that grants `action`, and a way to put it back. */
  async function withoutAction(roleName: string, action: string): Promise<() => Promise<void>> {
    const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
    for (const name of names) {
      const original = (await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }))).PolicyDocument!;
      const doc = parsePolicyDocument(original);
      const grants = (s: PolicyStatement) => listOf(s.Action).includes(action);
      if (!statementsOf(doc).some(grants)) continue;
      const statements = statementsOf(doc).flatMap((s) => {
        if (!grants(s)) return [s];
        const rest = listOf(s.Action).filter((a) => a !== action);
        return rest.length > 0 ? [{ ...s, Action: rest }] : [];
      });
      // IAM is eventually consistent, on AWS and here: wait until the role's stand-in (what moto evaluates) follows.
      const standInGrants = async () => {
        const standIn = await iam.send(new GetRolePolicyCommand({ RoleName: standInName(roleName), PolicyName: `inline.${name}` }));
        return statementsOf(parsePolicyDocument(standIn.PolicyDocument!)).some(grants);
      };
      await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: name, PolicyDocument: JSON.stringify({ ...doc, Statement: statements }) }));
      await waitFor(`${action} gone from ${standInName(roleName)}`, async () => !(await standInGrants()));
      return async () => {
        await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: name, PolicyDocument: JSON.stringify(doc) }));
        await waitFor(`${action} back in ${standInName(roleName)}`, standInGrants);
      };
    }
    throw new Error(`no inline policy of ${roleName} grants ${action}`);
  }

  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      timeScale: 0.05,
      workDir: '.local-cloud/e2e-iam',
      context: { requestsPerTarget: '1000000' },
      log: (l) => lines.push(l),
      verboseLog: (l) => lines.push(l),
    });
    // Through the endpoint, with the credentials the banner prints: as a user changes a role.
    iam = new IAMClient({ endpoint: cloud.endpoint, region: cloud.region, credentials: cloud.credentials });
  }, 120_000);
  afterAll(async () => {
    iam?.destroy();
    await cloud?.close();
  });

  it("refuses the old dummy credentials and serves the local cloud's own", async () => {
    const dummy = new IAMClient({ endpoint: cloud.endpoint, region: cloud.region, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
    try {
      await expect(dummy.send(new ListRolePoliciesCommand({ RoleName: 'any' }))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
    } finally {
      dummy.destroy();
    }
  });

  it('the handler drains with its role; without elasticloadbalancing:DeregisterTargets it fails with AccessDenied', async () => {
    const handler = lambdaFunctions(cloud.deployed, '').find((f) => f.name === cloud.outputs[OUTPUTS.handlerFunctionName]);
    const roleName = roleNameOf(handler!.roleArn!);
    const healthy = () => cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').map((t) => t.id);
    const [first, second] = await waitFor('two healthy targets', () => (healthy().length >= 2 ? healthy() : undefined), 30_000);

    // The role as the template has it: the warning drains the instance.
    await cloud.publish(interruptionWarning(first!));
    await waitFor(`the confirmation for ${first}`, () => cloud.notifications.some((n) => n.message.startsWith(`spotweb drained Spot instance ${first}:`)), 20_000);
    expect(cloud.loadBalancer.targets().find((t) => t.id === first)?.state).not.toBe('healthy');

    // The same role without the action: AccessDenied from the local AWS, the instance keeps serving.
    const restore = await withoutAction(roleName, 'elasticloadbalancing:DeregisterTargets');
    try {
      const event = interruptionWarning(second!);
      await cloud.publish(event);
      const failure = await waitFor('the handler to fail', () => lines.find((l) => l.includes('attempt 1 failed')), 20_000);
      expect(failure).toMatch(/AccessDenied/);
      expect(failure).toContain('elasticloadbalancing:DeregisterTargets');
      // The role stays without the action until Lambda has given up on the event: its retry (a scaled minute later)
      // with the role restored would drain `second`, and the cases below need it in service.
      const final = await waitFor('Lambda to give up on the event', () => cloud.invocations.find((i) => i.eventId === event.id)?.outcome, 30_000);
      expect(final.status).toBe('dead-lettered');
      expect(cloud.loadBalancer.targets().find((t) => t.id === second)?.state).toBe('healthy');
    } finally {
      await restore();
    }
  }, 60_000);

  it('the Spot emulation launches as the IamFleetRole; without ec2:RunInstances the fleet cannot launch', async () => {
    const fleetConfig = findResource(cloud.deployed, 'AWS::EC2::SpotFleet').properties.SpotFleetRequestConfigData as { IamFleetRole: string };
    const roleName = roleNameOf(fleetConfig.IamFleetRole);
    const errors: string[] = [];
    cloud.fleet.on('error', (e) => errors.push(e.message));
    const capacity = async () =>
      (await cloud.clients.ec2.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: [cloud.fleetRequestId] }))).SpotFleetRequestConfigs![0]!.SpotFleetRequestConfig!.TargetCapacity!;
    const before = cloud.fleet.instances().length;

    const restore = await withoutAction(roleName, 'ec2:RunInstances');
    try {
      await cloud.clients.ec2.send(new ModifySpotFleetRequestCommand({ SpotFleetRequestId: cloud.fleetRequestId, TargetCapacity: (await capacity()) + 1 }));
      const denied = await waitFor('the launch to be refused', () => errors.find((e) => e.includes('ec2:RunInstances')), 20_000);
      expect(denied).toMatch(/not authorized to perform: ec2:RunInstances/);
      expect(cloud.fleet.instances()).toHaveLength(before);
    } finally {
      await restore();
    }
    // The role as the template has it: the fleet launches the instance it could not.
    await waitFor('the launch with the role restored', () => cloud.fleet.instances().length === before + 1, 30_000);
  }, 60_000);

  it("Lambda hands the handler's record to the drain confirmation as the handler's role: without lambda:InvokeFunction the instance drains, nobody is told, and the failure is counted", async () => {
    const handler = lambdaFunctions(cloud.deployed, '').find((f) => f.name === cloud.outputs[OUTPUTS.handlerFunctionName])!;
    const healthy = () => cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').map((t) => t.id);
    const [denied, allowed] = await waitFor('two healthy targets', () => (healthy().length >= 2 ? healthy() : undefined), 60_000);
    const handlerOutcome = (eventId: string) => cloud.invocations.find((i) => i.eventId === eventId && i.functionArn === handler.arn)?.outcome;
    const confirmed = (id: string) => cloud.notifications.some((n) => n.message.startsWith(`spotweb drained Spot instance ${id}:`));

    const restore = await withoutAction(roleNameOf(handler.roleArn!), 'lambda:InvokeFunction');
    try {
      const event = interruptionWarning(denied!);
      await cloud.publish(event);
      const outcome = await waitFor('the handler invocation', () => handlerOutcome(event.id), 30_000);
      expect(outcome).toMatchObject({ status: 'succeeded', destinationError: expect.objectContaining({ name: 'AccessDeniedException' }) });
      expect(String((outcome as { destinationError: Error }).destinationError.message)).toContain('lambda:InvokeFunction');
      expect(cloud.loadBalancer.targets().find((t) => t.id === denied)?.state).not.toBe('healthy');
      expect(lines.some((l) => l.includes(`event ${event.id}: record not delivered to its on-success destination`) && l.includes('not authorized to perform: lambda:InvokeFunction'))).toBe(true);
      expect(confirmed(denied!)).toBe(false);
    } finally {
      await restore();
    }
    // The control, the role as the template has it again: the change reaches the next delivery, which goes through.
    const event = interruptionWarning(allowed!);
    await cloud.publish(event);
    await waitFor(`the confirmation for ${allowed}`, () => confirmed(allowed!), 30_000);
    expect(handlerOutcome(event.id)).toMatchObject({ status: 'succeeded' });
    expect(handlerOutcome(event.id)).not.toHaveProperty('destinationError');
  }, 120_000);
});
