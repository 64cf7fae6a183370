import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { LocalCredentials } from '../contract.js';
import { queryObserver, type GatewayRequest, type ResponseObserver } from '../gateway.js';
import { createLocalIdentity, LOCAL_IDENTITY_BOOTSTRAP_CALLS } from './local-identity.js';
import { resignAsCaller } from './resign.js';
import { RoleSessions, type AssumeOptions } from './role-sessions.js';

export { LOCAL_IDENTITY_BOOTSTRAP_CALLS };

/** The service principal Spot Fleet assumes its `IamFleetRole` as. */
const SPOT_FLEET_PRINCIPAL = 'spotfleet.amazonaws.com';

/** IAM calls after which a role's permissions are different: the role's name is in the call. */
const ROLE_POLICY_ACTIONS = new Set(['PutRolePolicy', 'DeleteRolePolicy', 'AttachRolePolicy', 'DetachRolePolicy']);
/** IAM calls that change a managed policy's default version: every role it is attached to changes, so all are re-read. */
const POLICY_VERSION_ACTIONS = new Set(['CreatePolicyVersion', 'SetDefaultPolicyVersion', 'DeletePolicyVersion']);

export interface LocalIam {
  /** The local cloud's own identity: its deployer and services, and what the banner prints. */
  readonly credentials: LocalCredentials;
  readonly userArn: string;
  /** Role sessions for the services the local cloud plays (Lambda, Spot Fleet). */
  readonly sessions: RoleSessions;
  /** For the gateway: signs a request an interceptor rewrote again, as its caller. */
  resign(original: GatewayRequest, rewritten: GatewayRequest): Promise<GatewayRequest>;
  /** For the gateway: a role's permissions changed, so its stand-in follows before the next call. */
  readonly onRolePolicyChanged: ResponseObserver;
  /** EC2 and ELB clients at `endpoint` acting as a Spot Fleet's `IamFleetRole`. */
  fleetRoleClients(props: { endpoint: string; roleArn: string; fleetRequestArn: string; account: string }): {
    readonly ec2: EC2Client;
    readonly elbv2: ElasticLoadBalancingV2Client;
  };
  close(): void;
}

/**
 * IAM as the local cloud enforces it, on a moto started with `initialNoAuthActionCount:
 * LOCAL_IDENTITY_BOOTSTRAP_CALLS`: creates the local identity in moto's unauthenticated requests, then hands out
 * role sessions for the services it plays. Call it before anything else talks to moto.
 */
export async function startLocalIam(props: { readonly motoEndpoint: string; readonly region: string }): Promise<LocalIam> {
  const identity = await createLocalIdentity(props.motoEndpoint, props.region);
  const sessions = new RoleSessions({ endpoint: props.motoEndpoint, region: props.region, credentials: identity.credentials, callerArn: identity.userArn });
  const clients: Array<{ destroy(): void }> = [];
  const secretOf = (accessKeyId: string): AwsCredentialIdentity | undefined =>
    accessKeyId === identity.credentials.accessKeyId ? identity.credentials : sessions.issued(accessKeyId);
  return {
    credentials: identity.credentials,
    userArn: identity.userArn,
    sessions,
    resign: (original, rewritten) => resignAsCaller(original, rewritten, secretOf),
    onRolePolicyChanged: queryObserver(
      (params) => {
        const action = params.get('Action') ?? '';
        if (POLICY_VERSION_ACTIONS.has(action)) return { every: true } as const;
        return ROLE_POLICY_ACTIONS.has(action) ? { roleName: params.get('RoleName') ?? undefined } : undefined;
      },
      (changed) => {
        if ('every' in changed) sessions.everyRoleChanged();
        else if (changed.roleName !== undefined) sessions.roleChanged(changed.roleName);
      },
    ),
    fleetRoleClients: ({ endpoint, roleArn, fleetRequestArn, account }) => {
      const options: AssumeOptions = { service: SPOT_FLEET_PRINCIPAL, sourceAccount: account, sourceArn: fleetRequestArn, sessionName: 'SpotFleet' };
      const config = { endpoint, region: props.region, credentials: sessions.provider(roleArn, options), maxAttempts: 2 };
      const ec2 = new EC2Client(config);
      const elbv2 = new ElasticLoadBalancingV2Client(config);
      clients.push(ec2, elbv2);
      return { ec2, elbv2 };
    },
    close: () => {
      for (const c of clients) c.destroy();
      sessions.close();
    },
  };
}
