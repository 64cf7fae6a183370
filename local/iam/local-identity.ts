import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { LOCAL_CREDENTIALS, type LocalCredentials } from '../contract.js';

/** The IAM user the local cloud's own calls and the printed credentials act as. */
export const LOCAL_IDENTITY_USER = 'spotweb-local-cloud';

/**
 * How many requests moto serves unauthenticated before it enforces IAM: exactly the calls `createLocalIdentity`
 * makes (moto's `INITIAL_NO_AUTH_ACTION_COUNT`; moto/core/authorization.py counts every request to an AWS API,
 * whatever the service, and none to `/moto-api`).
 */
export const LOCAL_IDENTITY_BOOTSTRAP_CALLS = 3;

/**
 * What the identity may do: everything (AWS's `AdministratorAccess`, written inline so it does not depend on
 * moto loading AWS's managed policies). It plays three parts, each of which holds these rights on AWS: the
 * deployer (CloudFormation acting with CDK's default bootstrap execution role, which has `AdministratorAccess`),
 * the AWS services' own control planes the local cloud plays where they act for themselves (Lambda's and the Spot
 * service's bookkeeping, EventBridge, CloudWatch), and the developer at the terminal. Narrowing it would test the
 * emulator, not the product; the product's roles (the handler's, the Spot Fleet's) are the ones enforced.
 */
const ADMINISTRATOR_ACCESS = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });

export interface LocalIdentity {
  readonly userArn: string;
  readonly credentials: LocalCredentials;
}

/**
 * Creates the local cloud's IAM user and its access key. Must be the first `LOCAL_IDENTITY_BOOTSTRAP_CALLS`
 * requests moto serves: they are the only unauthenticated ones.
 */
export async function createLocalIdentity(endpoint: string, region: string): Promise<LocalIdentity> {
  const iam = new IAMClient({ endpoint, region, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  try {
    const user = await iam.send(new CreateUserCommand({ UserName: LOCAL_IDENTITY_USER }));
    await iam.send(new PutUserPolicyCommand({ UserName: LOCAL_IDENTITY_USER, PolicyName: 'AdministratorAccess', PolicyDocument: ADMINISTRATOR_ACCESS }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: LOCAL_IDENTITY_USER }))).AccessKey;
    if (!user.User?.Arn || !key?.AccessKeyId || !key.SecretAccessKey) throw new Error('moto returned no user ARN or access key');
    return { userArn: user.User.Arn, credentials: { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey } };
  } catch (err) {
    throw new Error(
      `could not create the local cloud's IAM identity in moto (${(err as Error).name}: ${(err as Error).message}); ` +
        `moto enforces IAM after its first ${LOCAL_IDENTITY_BOOTSTRAP_CALLS} requests, so nothing else may call it first`,
      { cause: err },
    );
  } finally {
    iam.destroy();
  }
}
