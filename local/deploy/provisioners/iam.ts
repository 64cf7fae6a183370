import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { asJson, attachmentResult, required, tagsOf, type ProvisionContext, type Provisioner } from './types.js';

interface InlinePolicy {
  readonly PolicyName: string;
  readonly PolicyDocument: unknown;
}

async function putInlinePolicy(ctx: ProvisionContext, roleName: string, policy: InlinePolicy): Promise<void> {
  await ctx.clients.iam.send(
    new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policy.PolicyName, PolicyDocument: asJson(policy.PolicyDocument) }),
  );
}

export const role: Provisioner = async (props, ctx) => {
  const { iam } = ctx.clients;
  const roleName = (props.RoleName as string | undefined) ?? ctx.physicalName(64);
  const out = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: asJson(required(props, 'AssumeRolePolicyDocument', ctx, 'object')),
      Description: props.Description as string | undefined,
      Path: props.Path as string | undefined,
      MaxSessionDuration: props.MaxSessionDuration as number | undefined,
      PermissionsBoundary: props.PermissionsBoundary as string | undefined,
      Tags: tagsOf(props),
    }),
  );
  for (const policy of (props.Policies as InlinePolicy[] | undefined) ?? []) await putInlinePolicy(ctx, roleName, policy);
  for (const policyArn of (props.ManagedPolicyArns as string[] | undefined) ?? []) {
    try {
      await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
    } catch (err) {
      // moto knows AWS-managed policies only when started with MOTO_IAM_LOAD_MANAGED_POLICIES=true.
      if (!(err instanceof NoSuchEntityException)) throw err;
      ctx.note(`managed policy ${policyArn} does not exist in the local cloud; not attached`);
    }
  }
  return { physicalId: roleName, attributes: { Arn: out.Role?.Arn, RoleId: out.Role?.RoleId, RoleName: roleName } };
};

export const policy: Provisioner = async (props, ctx) => {
  const name = required(props, 'PolicyName', ctx);
  const document = required(props, 'PolicyDocument', ctx, 'object');
  if ((props.Users as unknown[] | undefined)?.length || (props.Groups as unknown[] | undefined)?.length) {
    ctx.note('policies for IAM users and groups are not emulated; only Roles get the policy');
  }
  for (const roleName of (props.Roles as string[] | undefined) ?? []) {
    await putInlinePolicy(ctx, roleName, { PolicyName: name, PolicyDocument: document });
  }
  return attachmentResult(ctx);
};

export const instanceProfile: Provisioner = async (props, ctx) => {
  const { iam } = ctx.clients;
  const name = (props.InstanceProfileName as string | undefined) ?? ctx.physicalName(128);
  const out = await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Path: props.Path as string | undefined }));
  for (const roleName of required<string[]>(props, 'Roles', ctx, 'array')) {
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: roleName }));
  }
  return { physicalId: name, attributes: { Arn: out.InstanceProfile?.Arn } };
};
