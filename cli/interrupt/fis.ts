import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  CreateExperimentTemplateCommand,
  DeleteExperimentTemplateCommand,
  GetExperimentCommand,
  StartExperimentCommand,
} from '@aws-sdk/client-fis';
import { CreateRoleCommand, GetRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { randomUUID } from 'node:crypto';
import { FLEET_TAG, SPOT_INTERRUPTION_ACTION, STACK_TAG } from '../../common/ec2-events.js';
import { CliError } from '../errors.js';
import type { Clients, Target } from '../target.js';


/** The FIS experiment template that interrupts these Spot instances (AWS's spot interrupter tool builds the same). */
export function interruptionTemplate(input: { instanceArns: readonly string[]; roleArn: string; durationBeforeInterruption: string; stackName: string }) {
  return {
    clientToken: randomUUID(),
    description: `spotweb: Spot interruption of ${input.instanceArns.length} instance(s) of ${input.stackName}`,
    roleArn: input.roleArn,
    stopConditions: [{ source: 'none' }],
    targets: {
      SpotInstances: { resourceType: 'aws:ec2:spot-instance', resourceArns: [...input.instanceArns], selectionMode: 'ALL' },
    },
    actions: {
      interrupt: {
        actionId: SPOT_INTERRUPTION_ACTION,
        parameters: { durationBeforeInterruption: input.durationBeforeInterruption },
        targets: { SpotInstances: 'SpotInstances' },
      },
    },
    tags: { Name: 'spotweb-interrupt', [STACK_TAG]: input.stackName },
  };
}

/** What the FIS role may do: interrupt this fleet's instances (by the fleet tag) and describe instances. */
export function fisRolePolicy(region: string, account: string, fleetRequestId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'ec2:SendSpotInstanceInterruptions',
        Resource: `arn:aws:ec2:${region}:${account}:instance/*`,
        Condition: { StringEquals: { [`aws:ResourceTag/${FLEET_TAG}`]: fleetRequestId } },
      },
      // DescribeInstances has no resource-level permissions.
      { Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' },
    ],
  });
}

const FIS_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'fis.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** The role FIS assumes, created on first use (one per stack) and its policy kept current. */
async function ensureRole(clients: Clients, stackName: string, policy: string): Promise<{ arn: string; created: boolean }> {
  const roleName = `spotweb-fis-interrupter-${stackName}`.slice(0, 64);
  let arn: string | undefined;
  let created = false;
  try {
    arn = (await clients.iam.send(new GetRoleCommand({ RoleName: roleName }))).Role?.Arn;
  } catch (err) {
    if ((err as Error).name !== 'NoSuchEntityException' && (err as Error).name !== 'NoSuchEntity') throw err;
  }
  if (!arn) {
    const made = await clients.iam.send(
      new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: FIS_TRUST, Description: 'Lets AWS FIS send Spot interruptions to the spotweb fleet (spotweb CLI)' }),
    );
    arn = made.Role!.Arn!;
    created = true;
  }
  await clients.iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'spot-interruptions', PolicyDocument: policy }));
  return { arn, created };
}

/** Starts a FIS experiment that sends the instances a Spot interruption; returns its id. */
export async function startFisInterruption(
  target: Target,
  input: { instanceIds: readonly string[]; roleArn?: string; durationBeforeInterruption: string },
): Promise<{ experimentId: string; roleArn: string; cleanup: () => Promise<void> }> {
  const { clients, facts, region } = target;
  const described = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [...input.instanceIds] }));
  const account = described.Reservations?.[0]?.OwnerId;
  if (!account) throw new CliError(`cannot read the account of ${input.instanceIds.join(', ')}`);
  const instanceArns = input.instanceIds.map((id) => `arn:aws:ec2:${region}:${account}:instance/${id}`);
  const role = input.roleArn ? { arn: input.roleArn, created: false } : await ensureRole(clients, facts.stackName, fisRolePolicy(region, account, facts.fleetRequestId));
  const template = interruptionTemplate({ instanceArns, roleArn: role.arn, durationBeforeInterruption: input.durationBeforeInterruption, stackName: facts.stackName });
  // A new IAM role takes a few seconds to become assumable by FIS.
  const attempts = role.created && target.kind === 'aws' ? 6 : 1;
  let templateId: string | undefined;
  for (let attempt = 1; !templateId; attempt++) {
    try {
      templateId = (await clients.fis.send(new CreateExperimentTemplateCommand(template))).experimentTemplate?.id;
      if (!templateId) throw new CliError('FIS returned no experiment template id');
    } catch (err) {
      if (attempt >= attempts || (err as Error).name !== 'ValidationException') throw err;
      await new Promise((r) => setTimeout(r, 5000));
    }
  }
  const started = await clients.fis.send(new StartExperimentCommand({ experimentTemplateId: templateId, clientToken: randomUUID(), tags: template.tags }));
  const experimentId = started.experiment?.id;
  if (!experimentId) throw new CliError('FIS returned no experiment id');
  return {
    experimentId,
    roleArn: role.arn,
    // The template is single-use; the role stays for the next run.
    cleanup: async () => {
      await clients.fis.send(new DeleteExperimentTemplateCommand({ id: templateId })).catch(() => undefined);
    },
  };
}

/** The experiment's status (`initiating`, `running`, `completed`, `failed`…) and reason. */
export async function experimentState(target: Target, experimentId: string): Promise<{ status: string; reason?: string }> {
  const out = await target.clients.fis.send(new GetExperimentCommand({ id: experimentId }));
  return { status: out.experiment?.state?.status ?? 'unknown', reason: out.experiment?.state?.reason };
}
