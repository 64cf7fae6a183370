import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import {
  CreateRoleCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  type Role,
} from '@aws-sdk/client-iam';
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

/** The partition (`aws`, `aws-cn`, `aws-us-gov`) of an ARN, e.g. the stack's target group. */
export function partitionOf(arn: string): string {
  const partition = /^arn:([a-z-]+):/.exec(arn)?.[1];
  if (!partition) throw new CliError(`cannot read the partition of "${arn}": not an ARN`);
  return partition;
}

/** Where the FIS role acts: the stack's partition, region and account. */
export interface FisScope {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** What the FIS role may do: interrupt this fleet's instances (by the fleet tag) and describe instances. */
export function fisRolePolicy(scope: FisScope, fleetRequestId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'ec2:SendSpotInstanceInterruptions',
        Resource: `arn:${scope.partition}:ec2:${scope.region}:${scope.account}:instance/*`,
        Condition: { StringEquals: { [`aws:ResourceTag/${FLEET_TAG}`]: fleetRequestId } },
      },
      // DescribeInstances has no resource-level permissions.
      { Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' },
    ],
  });
}

/**
 * FIS may assume the role only for an experiment of this account in this region: the confused-deputy guard AWS
 * documents for FIS service roles (aws:SourceAccount and aws:SourceArn on `experiment/*`).
 */
export function fisTrustPolicy(scope: FisScope): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'fis.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': scope.account },
          ArnLike: { 'aws:SourceArn': `arn:${scope.partition}:fis:${scope.region}:${scope.account}:experiment/*` },
        },
      },
    ],
  });
}

const ROLE_POLICY_NAME = 'spot-interruptions';
/** Put on the roles the CLI creates; a role of that name without it is someone else's. */
export const FIS_ROLE_OWNER_TAG = 'spotweb:fis-role-for';

/** An existing role as IAM describes it, enough to decide whether the CLI may reuse it. */
export interface ExistingRole {
  readonly roleName: string;
  /** As GetRole returns it: URL-encoded JSON (AWS) or plain JSON (some emulators). */
  readonly assumeRolePolicyDocument?: string;
  readonly tags: ReadonlyArray<{ readonly Key?: string; readonly Value?: string }>;
  readonly inlinePolicyNames: readonly string[];
  readonly attachedPolicyArns: readonly string[];
}

function parsePolicy(document: string | undefined): unknown {
  if (!document) return undefined;
  try {
    return JSON.parse(document.trimStart().startsWith('{') ? document : decodeURIComponent(document));
  } catch {
    return undefined;
  }
}

/**
 * Refuses to reuse a role the CLI did not create for this stack, or whose trust or policies changed since: it
 * must carry the CLI's owner tag for `stackName`, trust exactly `expectedTrust`, and have no managed policy and
 * no inline policy but the CLI's own (which the CLI then rewrites).
 *
 * @throws CliError naming every problem and what to do
 */
export function checkReusableRole(role: ExistingRole, stackName: string, expectedTrust: string): void {
  const problems: string[] = [];
  if (!role.tags.some((t) => t.Key === FIS_ROLE_OWNER_TAG && t.Value === stackName)) {
    problems.push(`it lacks the tag ${FIS_ROLE_OWNER_TAG}=${stackName} that the CLI puts on the roles it creates`);
  }
  if (JSON.stringify(parsePolicy(role.assumeRolePolicyDocument)) !== JSON.stringify(JSON.parse(expectedTrust))) {
    problems.push('its trust policy is not the one the CLI sets (fis.amazonaws.com for experiments of this account and region only)');
  }
  if (role.attachedPolicyArns.length > 0) problems.push(`it has managed policies attached (${role.attachedPolicyArns.join(', ')})`);
  const foreign = role.inlinePolicyNames.filter((n) => n !== ROLE_POLICY_NAME);
  if (foreign.length > 0) problems.push(`it has inline policies the CLI did not write (${foreign.join(', ')})`);
  if (problems.length > 0) {
    throw new CliError(
      `refusing to reuse IAM role ${role.roleName} for FIS: ${problems.join('; ')}. ` +
        'Delete or rename that role, or pass a role of your own with --role-arn.',
    );
  }
}

/** The role FIS assumes: created on first use (one per stack), checked before reuse, its policy kept current. */
async function ensureRole(clients: Clients, stackName: string, scope: FisScope, policy: string): Promise<{ arn: string; created: boolean }> {
  const roleName = `spotweb-fis-interrupter-${stackName}`.slice(0, 64);
  const trust = fisTrustPolicy(scope);
  let existing: Role | undefined;
  try {
    existing = (await clients.iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
  } catch (err) {
    if ((err as Error).name !== 'NoSuchEntityException' && (err as Error).name !== 'NoSuchEntity') throw err;
  }
  let arn: string;
  let created = false;
  if (existing?.Arn) {
    const [inline, attached] = await Promise.all([
      clients.iam.send(new ListRolePoliciesCommand({ RoleName: roleName })),
      clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName })),
    ]);
    checkReusableRole(
      {
        roleName,
        assumeRolePolicyDocument: existing.AssumeRolePolicyDocument,
        tags: existing.Tags ?? [],
        inlinePolicyNames: inline.PolicyNames ?? [],
        attachedPolicyArns: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? '?'),
      },
      stackName,
      trust,
    );
    arn = existing.Arn;
  } else {
    const made = await clients.iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: trust,
        Description: 'Lets AWS FIS send Spot interruptions to the spotweb fleet (spotweb CLI)',
        Tags: [{ Key: FIS_ROLE_OWNER_TAG, Value: stackName }],
      }),
    );
    arn = made.Role!.Arn!;
    created = true;
  }
  await clients.iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: ROLE_POLICY_NAME, PolicyDocument: policy }));
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
  const scope: FisScope = { partition: partitionOf(facts.targetGroupArn), region, account };
  const instanceArns = input.instanceIds.map((id) => `arn:${scope.partition}:ec2:${region}:${account}:instance/${id}`);
  const role = input.roleArn ? { arn: input.roleArn, created: false } : await ensureRole(clients, facts.stackName, scope, fisRolePolicy(scope, facts.fleetRequestId));
  const template = interruptionTemplate({ instanceArns, roleArn: role.arn, durationBeforeInterruption: input.durationBeforeInterruption, stackName: facts.stackName });
  // A new IAM role takes a few seconds to become assumable by FIS.
  const attempts = role.created && target.kind === 'aws' ? 6 : 1;
  let templateId: string | undefined;
  for (let attempt = 1; !templateId; attempt++) {
    try {
      templateId = (await clients.fis.createExperimentTemplate(template)).experimentTemplate?.id;
      if (!templateId) throw new CliError('FIS returned no experiment template id');
    } catch (err) {
      if (attempt >= attempts || (err as Error).name !== 'ValidationException') throw err;
      await new Promise((r) => setTimeout(r, 5000));
    }
  }
  const started = await clients.fis.startExperiment({ experimentTemplateId: templateId, clientToken: randomUUID(), tags: template.tags });
  const experimentId = started.experiment?.id;
  if (!experimentId) throw new CliError('FIS returned no experiment id');
  return {
    experimentId,
    roleArn: role.arn,
    // The template is single-use; the role stays for the next run.
    cleanup: async () => {
      await clients.fis.deleteExperimentTemplate(templateId).catch(() => undefined);
    },
  };
}

/** The experiment's status (`initiating`, `running`, `completed`, `failed`…) and reason. */
export async function experimentState(target: Target, experimentId: string): Promise<{ status: string; reason?: string }> {
  const out = await target.clients.fis.getExperiment(experimentId);
  return { status: out.experiment?.state?.status ?? 'unknown', reason: out.experiment?.state?.reason };
}
