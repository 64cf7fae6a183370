import {
  AddPermissionCommand,
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  PutFunctionEventInvokeConfigCommand,
  type Architecture,
  type Runtime,
} from '@aws-sdk/client-lambda';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { identityPoliciesAllow, rolePolicies } from '../../iam/role-policies.js';
import { roleNameOf } from '../../iam/role-sessions.js';
import { createZip, zipAsset } from '../zip.js';
import { ProvisionError, required, tagMap, type ProvisionContext, type Provisioner } from './types.js';

/**
 * The function's code as a ZIP. CDK templates point Code at the bootstrap bucket; the same asset sits in
 * the cloud assembly under the folder the resource's `aws:asset:path` metadata names.
 */
function functionCode(props: Record<string, unknown>, ctx: ProvisionContext): Uint8Array {
  const code = required<Record<string, unknown>>(props, 'Code', ctx, 'object');
  if (typeof code.ZipFile === 'string') {
    // Inline source: CloudFormation wraps it as index.js (Node) / index.py (Python).
    const runtime = String(props.Runtime ?? '');
    const file = runtime.startsWith('python') ? 'index.py' : 'index.js';
    return createZip([{ name: file, data: Buffer.from(code.ZipFile, 'utf8') }]);
  }
  const full = assetLocation(code, ctx);
  if (!full) {
    throw new ProvisionError(ctx, `no asset for Code ${JSON.stringify(code)} in ${ctx.assemblyDir} (was the app synthesized there?)`);
  }
  return zipAsset(full);
}

/**
 * Where the asset sits: the folder `aws:asset:path` names (the CLI asks CDK for that metadata), else the
 * `asset.<hash>` folder or file that CDK stages for S3Key `<hash>.zip`.
 */
function assetLocation(code: Record<string, unknown>, ctx: ProvisionContext): string | undefined {
  const candidates: string[] = [];
  const assetPath = ctx.metadata['aws:asset:path'];
  if (typeof assetPath === 'string') candidates.push(join(ctx.assemblyDir, assetPath));
  if (typeof code.S3Key === 'string') {
    const hash = code.S3Key.replace(/\.zip$/, '');
    candidates.push(join(ctx.assemblyDir, `asset.${hash}`), join(ctx.assemblyDir, `asset.${hash}.zip`));
  }
  return candidates.find((c) => existsSync(c));
}

export const lambdaFunction: Provisioner = async (props, ctx) => {
  const name = (props.FunctionName as string | undefined) ?? ctx.physicalName(64);
  const environment = props.Environment as { Variables?: Record<string, string> } | undefined;
  const deadLetterArn = (props.DeadLetterConfig as { TargetArn?: unknown } | undefined)?.TargetArn;
  if (typeof deadLetterArn === 'string') {
    // Lambda refuses CreateFunction when the role may not send to the dead-letter queue; moto does not check.
    await checkRoleMaySend(required(props, 'Role', ctx), deadLetterArn, ctx, () => 'The provided execution role does not have permissions to call SendMessage on SQS');
  }
  const out = await ctx.clients.lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: props.Runtime as Runtime | undefined,
      Role: required(props, 'Role', ctx),
      Handler: props.Handler as string | undefined,
      Code: { ZipFile: functionCode(props, ctx) },
      Description: props.Description as string | undefined,
      Timeout: props.Timeout as number | undefined,
      MemorySize: props.MemorySize as number | undefined,
      Environment: environment,
      Architectures: props.Architectures as Architecture[] | undefined,
      DeadLetterConfig: props.DeadLetterConfig as { TargetArn?: string } | undefined,
      LoggingConfig: props.LoggingConfig as never,
      TracingConfig: props.TracingConfig as never,
      Layers: props.Layers as string[] | undefined,
      Tags: tagMap(props),
    }),
  );
  return { physicalId: name, attributes: { Arn: out.FunctionArn, FunctionName: name, Environment: environment?.Variables ?? {} } };
};

/**
 * The function's name for an unqualified function ARN (Lambda takes either). moto 5.2.1 enforcing IAM miscomputes
 * the signature of a REST-JSON request whose path holds an ARN's colons (SignatureDoesNotMatch, measured), and the
 * template names functions by `Fn::GetAtt … Arn`.
 */
export function functionNameOf(ref: string): string {
  return /^arn:[^:]+:lambda:[^:]+:\d{12}:function:([^:]+)$/.exec(ref)?.[1] ?? ref;
}

/**
 * The action the function's execution role needs to send a record to a destination, by the ARN's service: the kinds
 * the local runtime plays (local/lambda/async-invocation.ts); another kind is refused there.
 */
const DESTINATION_ACTIONS: Readonly<Record<string, string>> = {
  lambda: 'lambda:InvokeFunction',
  sqs: 'sqs:SendMessage',
};

/**
 * Lambda checks, when the configuration is put, that the function's execution role may send to each destination,
 * and refuses it otherwise (InvalidParameterValueException, "The function's execution role does not have
 * permissions to call …"): records are delivered with that role (Lambda developer guide, "Capturing records of
 * Lambda asynchronous invocations", execution role permissions). moto accepts any destination, so the deployer
 * checks the role's identity policies itself (local/iam/role-policies.ts).
 */
async function checkDestinationPermissions(functionName: string, destinations: ReadonlyArray<string | undefined>, ctx: ProvisionContext): Promise<void> {
  const wanted = destinations.filter((d): d is string => typeof d === 'string');
  if (wanted.length === 0) return;
  const role = (await ctx.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }))).Role;
  if (!role) throw new ProvisionError(ctx, `function ${functionName} has no execution role`);
  for (const destination of wanted) {
    await checkRoleMaySend(role, destination, ctx, (action) => `The function's execution role does not have permissions to call ${action.split(':')[1]} on ${destination}`);
  }
}

/**
 * Throws Lambda's InvalidParameterValueException with `message` unless the role's identity policies allow sending
 * to `target` (`lambda:InvokeFunction` on a function, `sqs:SendMessage` on a queue), as Lambda checks a dead-letter
 * queue at CreateFunction and a destination at PutFunctionEventInvokeConfig (local/iam/role-policies.ts evaluates).
 */
async function checkRoleMaySend(roleArn: string, target: string, ctx: ProvisionContext, message: (action: string) => string): Promise<void> {
  const action = DESTINATION_ACTIONS[target.split(':')[2] ?? ''];
  if (action === undefined) throw new ProvisionError(ctx, `${target}: the local cloud plays SQS queue and Lambda function destinations only`);
  const policies = [...(await rolePolicies(ctx.clients.iam, roleNameOf(roleArn))).values()];
  if (!identityPoliciesAllow(policies, action, target)) {
    throw new ProvisionError(ctx, `InvalidParameterValueException: ${message(action)} (grant ${action} on ${target} to ${roleArn})`);
  }
}

export const eventInvokeConfig: Provisioner = async (props, ctx) => {
  const functionName = required(props, 'FunctionName', ctx);
  const qualifier = required(props, 'Qualifier', ctx);
  const destinations = props.DestinationConfig as { OnSuccess?: { Destination?: string }; OnFailure?: { Destination?: string } } | undefined;
  await checkDestinationPermissions(functionNameOf(functionName), [destinations?.OnSuccess?.Destination, destinations?.OnFailure?.Destination], ctx);
  await ctx.clients.lambda.send(
    new PutFunctionEventInvokeConfigCommand({
      FunctionName: functionNameOf(functionName),
      // Unqualified is $LATEST (Lambda API reference, PutFunctionEventInvokeConfig). Left out for moto 5.2.1, which
      // enforcing IAM miscomputes the signature of a REST-JSON request with a query string (SignatureDoesNotMatch).
      ...(qualifier !== '$LATEST' && { Qualifier: qualifier }),
      MaximumRetryAttempts: props.MaximumRetryAttempts as number | undefined,
      MaximumEventAgeInSeconds: props.MaximumEventAgeInSeconds as number | undefined,
      DestinationConfig: props.DestinationConfig as never,
    }),
  );
  const id = `${functionName}|${qualifier}`;
  return { physicalId: id, attributes: { Id: id } };
};

export const permission: Provisioner = async (props, ctx) => {
  // CloudFormation names the statement after the resource; the name must be unique per function.
  const statementId = ctx.physicalName(100, { alphanumericAndHyphens: true });
  await ctx.clients.lambda.send(
    new AddPermissionCommand({
      FunctionName: functionNameOf(required(props, 'FunctionName', ctx)),
      StatementId: statementId,
      Action: required(props, 'Action', ctx),
      Principal: required(props, 'Principal', ctx),
      SourceArn: props.SourceArn as string | undefined,
      SourceAccount: props.SourceAccount as string | undefined,
      EventSourceToken: props.EventSourceToken as string | undefined,
      PrincipalOrgID: props.PrincipalOrgID as string | undefined,
      FunctionUrlAuthType: props.FunctionUrlAuthType as 'NONE' | undefined,
    }),
  );
  return { physicalId: statementId, attributes: { Id: statementId } };
};
