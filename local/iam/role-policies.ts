import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { listOf, parsePolicyDocument, statementsOf, wildcardMatches, type PolicyDocument, type PolicyStatement } from './policy-document.js';

/**
 * A role's identity policies as IAM holds them: its inline policies (`inline.<name>`) and its attached managed
 * policies' default versions (`managed.<name>`), names cut to IAM's 128 characters.
 */
export async function rolePolicies(iam: IAMClient, roleName: string): Promise<Map<string, PolicyDocument>> {
  const policies = new Map<string, PolicyDocument>();
  const inline = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  for (const name of inline) {
    const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
    policies.set(`inline.${name}`.slice(0, 128), parsePolicyDocument(out.PolicyDocument ?? ''));
  }
  const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies ?? [];
  for (const { PolicyArn, PolicyName } of attached) {
    const policy = (await iam.send(new GetPolicyCommand({ PolicyArn }))).Policy;
    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn, VersionId: policy?.DefaultVersionId }));
    policies.set(`managed.${PolicyName}`.slice(0, 128), parsePolicyDocument(version.PolicyVersion?.Document ?? ''));
  }
  return policies;
}

/**
 * Whether identity policies allow `action` on `resource`, as IAM's evaluation decides it for one principal with no
 * resource policy, boundary or SCP in play ("Policy evaluation logic", IAM user guide): an explicit Deny that matches
 * wins, else an Allow that matches, else the implicit deny. Conditions are not evaluated: a statement with one is
 * taken as matching, so a conditional Deny denies and a conditional Allow allows (the stack's grants carry none).
 */
export function identityPoliciesAllow(documents: Iterable<PolicyDocument>, action: string, resource: string): boolean {
  return identityPolicyDecision(documents, action, resource) === 'allow';
}

/** IAM's three outcomes for one request: allowed, an explicit deny, or the implicit deny (no Allow matched). */
export type PolicyDecision = 'allow' | 'explicit-deny' | 'implicit-deny';

/** The decision `identityPoliciesAllow` reads, with the kind of deny, which IAM's AccessDenied message names. */
export function identityPolicyDecision(documents: Iterable<PolicyDocument>, action: string, resource: string): PolicyDecision {
  const matching = [...documents].flatMap((d) => statementsOf(d)).filter((s) => coversAction(s, action) && coversResource(s, resource));
  if (matching.some((s) => s.Effect === 'Deny')) return 'explicit-deny';
  return matching.some((s) => s.Effect === 'Allow') ? 'allow' : 'implicit-deny';
}

/**
 * IAM's message for a denied request ("Troubleshoot access denied error messages", IAM user guide,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html): `User: <principal> is not
 * authorized to perform: <action> on resource: <arn> because no identity-based policy allows the <action> action`,
 * or `… with an explicit deny in an identity-based policy`.
 */
export function accessDeniedMessage(principalArn: string, action: string, resource: string, decision: Exclude<PolicyDecision, 'allow'>): string {
  const why = decision === 'explicit-deny' ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${action} action`;
  return `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
}

function coversAction(statement: PolicyStatement, action: string): boolean {
  if (statement.NotAction !== undefined) return !listOf(statement.NotAction).some((p) => wildcardMatches(p, action));
  return listOf(statement.Action).some((p) => wildcardMatches(p, action));
}

function coversResource(statement: PolicyStatement, resource: string): boolean {
  // ARNs match case-sensitively.
  if (statement.NotResource !== undefined) return !listOf(statement.NotResource).some((p) => wildcardMatches(p, resource, false));
  return listOf(statement.Resource).some((p) => wildcardMatches(p, resource, false));
}
