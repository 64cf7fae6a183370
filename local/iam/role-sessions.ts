import {
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { LocalCredentials } from '../contract.js';
import { parsePolicyDocument, type PolicyDocument } from './policy-document.js';
import { projectForMoto } from './policy-projection.js';
import { identityPolicyDecision, rolePolicies, type PolicyDecision } from './role-policies.js';
import { trustAdmits, type ServiceAssumeRequest } from './trust-policy.js';

/** Credentials of a role session, as STS issues them and Lambda hands them to a function. */
export interface SessionCredentials extends AwsCredentialIdentity {
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface RoleSessionsProps {
  /** An endpoint reaching moto's IAM and STS. */
  readonly endpoint: string;
  readonly region: string;
  /** The local cloud's own identity (local/iam/local-identity.ts): it plays the services that assume roles. */
  readonly credentials: LocalCredentials;
  readonly callerArn: string;
}

export interface AssumeOptions extends ServiceAssumeRequest {
  /** `RoleSessionName`: Lambda names a function's session after the function. */
  readonly sessionName: string;
}

/** Where stand-in roles live, so `aws iam list-roles --path-prefix /local-cloud/` finds (or skips) them. */
export const STAND_IN_PATH = '/local-cloud/';
const STAND_IN_SUFFIX = '-moto';
/** STS's default session length, and how long before its end a provider fetches the next one. */
const SESSION_SECONDS = 3600;
const REFRESH_BEFORE_MS = 5 * 60_000;

export class RoleTrustError extends Error {
  constructor(
    readonly roleArn: string,
    readonly service: string,
    reason: string,
  ) {
    super(`${service} is not authorized to perform: sts:AssumeRole on resource: ${roleArn} (its trust policy: ${reason})`);
    this.name = 'AccessDenied';
  }
}

/**
 * Role sessions for the AWS services the local cloud plays (Lambda for a function's execution role, Spot Fleet for
 * its `IamFleetRole`), so their calls are authorized by moto against the role's policies as AWS would authorize them.
 *
 * moto 5.2.1 cannot let a service assume a template's role directly: its trust check fails with HTTP 500 on a
 * service principal, and it denies every `Allow` scoped to a resource ARN (local/iam/policy-projection.ts). So:
 * 1. the role's trust policy is evaluated here, for the service principal and its `aws:SourceAccount` /
 *    `aws:SourceArn` (local/iam/trust-policy.ts), and an untrusting role fails as on AWS;
 * 2. a stand-in role (`<role name>-moto`, path `/local-cloud/`) gets the role's current inline and attached policies
 *    in the form moto can evaluate (actions as written, resources `*`), and trusts only the local cloud's identity;
 * 3. the session is an STS AssumeRole of the stand-in. moto then checks every call of the session's holder against
 *    the role's actions: a missing action is AccessDenied.
 * The stand-in is re-synced from the role at every AssumeRole, so a policy changed in the local cloud takes effect at
 * the next session, as a new Lambda execution environment or the next Spot Fleet session would see it.
 */
export class RoleSessions {
  private readonly iam: IAMClient;
  private readonly sts: STSClient;
  /** One sync at a time per role: two cold starts must not create the same stand-in twice. */
  private readonly syncing = new Map<string, Promise<unknown>>();
  /** The sessions handed out, by access key id (the gateway re-signs a rewritten request with them). */
  private readonly sessions = new Map<string, SessionCredentials>();
  /** Each synced role's identity policies as last read from IAM (what its stand-in was given, before projection). */
  private readonly documents = new Map<string, ReadonlyMap<string, PolicyDocument>>();

  constructor(private readonly props: RoleSessionsProps) {
    const config = { endpoint: props.endpoint, region: props.region, credentials: props.credentials, maxAttempts: 2 };
    this.iam = new IAMClient(config);
    this.sts = new STSClient(config);
  }

  /** Assumes `roleArn` for `options.service`: rejects with RoleTrustError when the role does not trust it. */
  async assume(roleArn: string, options: AssumeOptions): Promise<SessionCredentials> {
    const roleName = roleNameOf(roleArn);
    const role = (await this.iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
    const trust = trustAdmits(parsePolicyDocument(role?.AssumeRolePolicyDocument ?? '{"Statement":[]}'), options);
    if (!trust.admitted) throw new RoleTrustError(roleArn, options.service, trust.reason);
    const standInArn = await this.sync(roleName);
    const out = await this.sts.send(
      new AssumeRoleCommand({ RoleArn: standInArn, RoleSessionName: options.sessionName.slice(0, 64), DurationSeconds: SESSION_SECONDS }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error(`STS returned no credentials for ${standInArn}`);
    const session = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration ?? new Date(Date.now() + SESSION_SECONDS * 1000),
    };
    this.sessions.set(session.accessKeyId, session);
    return session;
  }

  /** A session this handed out, by its access key id. */
  issued(accessKeyId: string): SessionCredentials | undefined {
    return this.sessions.get(accessKeyId);
  }

  /**
   * The role's policies changed (an IAM call through the gateway): its stand-in follows, so sessions already handed
   * out see the change, as on AWS, where a role's policies are evaluated at each request (IAM is eventually
   * consistent there too: https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
   * Never throws; `settled` says when the stand-in has caught up.
   */
  roleChanged(roleName: string): void {
    if (this.syncing.has(roleName)) void this.sync(roleName).catch(() => undefined);
  }

  /**
   * IAM's decision on the role doing `action` on `resource` (identityPolicyDecision: resources and explicit denies as
   * IAM evaluates them, which moto cannot; conditions are not evaluated), from its policies as last synced: at the
   * first ask, at each AssumeRole and after each change through the gateway (`roleChanged`, `everyRoleChanged`). For
   * what a service does with the role without a call of the role's own that moto could authorize, such as Lambda
   * sending an asynchronous invocation's record to a destination. Rejects when the role cannot be read.
   */
  async roleDecision(roleArn: string, action: string, resource: string): Promise<PolicyDecision> {
    const roleName = roleNameOf(roleArn);
    const pending = this.syncing.get(roleName) ?? this.sync(roleName);
    // A sync that failed (IAM unreachable for a moment) is tried again, not held against every later ask; once only,
    // however many deliveries were waiting on it.
    await pending.catch(() => (this.syncing.get(roleName) === pending ? this.sync(roleName) : this.syncing.get(roleName)));
    return identityPolicyDecision(this.documents.get(roleName)?.values() ?? [], action, resource);
  }

  /** A managed policy changed (a new default version): every role synced so far is read again, as `roleChanged`. */
  everyRoleChanged(): void {
    for (const roleName of this.syncing.keys()) this.roleChanged(roleName);
  }

  /** Resolves once every stand-in sync started so far has ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.syncing.values()]);
  }

  private sync(roleName: string): Promise<string> {
    const previous = this.syncing.get(roleName) ?? Promise.resolve();
    const synced = previous.catch(() => undefined).then(() => this.syncStandIn(roleName));
    this.syncing.set(roleName, synced);
    return synced;
  }

  /** An SDK credentials provider for clients acting as the role: a session, renewed before it ends. */
  provider(roleArn: string, options: AssumeOptions): AwsCredentialIdentityProvider {
    let current: Promise<SessionCredentials> | undefined;
    return async () => {
      const held = current && (await current.catch(() => undefined));
      if (!held || held.expiration.getTime() - Date.now() < REFRESH_BEFORE_MS) {
        current = this.assume(roleArn, options);
      }
      return current!;
    };
  }

  close(): void {
    this.iam.destroy();
    this.sts.destroy();
  }

  /** Creates or refreshes the role's stand-in; returns its ARN. */
  private async syncStandIn(roleName: string): Promise<string> {
    const standIn = standInName(roleName);
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: this.props.callerArn }, Action: 'sts:AssumeRole' }],
    });
    let arn: string;
    try {
      const created = await this.iam.send(
        new CreateRoleCommand({
          RoleName: standIn,
          Path: STAND_IN_PATH,
          AssumeRolePolicyDocument: trust,
          Description: `The local cloud's stand-in for ${roleName}: its policies with resources widened to * (moto cannot evaluate resource scoping)`,
        }),
      );
      arn = created.Role!.Arn!;
    } catch (err) {
      if (!(err instanceof EntityAlreadyExistsException)) throw err;
      await this.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: standIn, PolicyDocument: trust }));
      arn = (await this.iam.send(new GetRoleCommand({ RoleName: standIn }))).Role!.Arn!;
    }
    const wanted = await rolePolicies(this.iam, roleName);
    this.documents.set(roleName, wanted);
    const existing = (await this.iam.send(new ListRolePoliciesCommand({ RoleName: standIn }))).PolicyNames ?? [];
    for (const name of existing.filter((n) => !wanted.has(n))) {
      await this.iam.send(new DeleteRolePolicyCommand({ RoleName: standIn, PolicyName: name }));
    }
    for (const [name, document] of wanted) {
      await this.iam.send(new PutRolePolicyCommand({ RoleName: standIn, PolicyName: name, PolicyDocument: JSON.stringify(projectForMoto(document)) }));
    }
    return arn;
  }
}

/** A role ARN's name: the last segment of its path (`arn:aws:iam::1:role/path/Name` → `Name`). */
export function roleNameOf(roleArn: string): string {
  const resource = roleArn.split(':').slice(5).join(':');
  if (!resource.startsWith('role/')) throw new Error(`not an IAM role ARN: ${roleArn}`);
  return resource.split('/').pop()!;
}

/** `<role name>-moto`, the role name shortened to keep within IAM's 64 characters. */
export function standInName(roleName: string): string {
  return `${roleName.slice(0, 64 - STAND_IN_SUFFIX.length)}${STAND_IN_SUFFIX}`;
}
