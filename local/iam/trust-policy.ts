import { listOf, statementsOf, wildcardMatches, type PolicyDocument, type PolicyStatement } from './policy-document.js';

/** What an AWS service presents when it assumes a role on a customer's behalf. */
export interface ServiceAssumeRequest {
  /** The service principal, e.g. `lambda.amazonaws.com`. */
  readonly service: string;
  /** `aws:SourceAccount`: the account whose resource the service acts for. */
  readonly sourceAccount: string;
  /** `aws:SourceArn`: the resource the service acts for (the function, the fleet request). */
  readonly sourceArn?: string;
}

export type TrustDecision = { readonly admitted: true } | { readonly admitted: false; readonly reason: string };

/**
 * Does the role's trust policy let `request.service` call `sts:AssumeRole`? Evaluated here because moto 5.2.1
 * cannot: a trust statement whose principal is a service makes its `_check_principal` raise (HTTP 500; shown in
 * test/local/iam-enforcement.test.ts).
 *
 * IAM's rules (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): an
 * explicit `Deny` wins, else an `Allow` whose principal, action and every condition match. Conditions: the
 * `String…`/`Arn…` operators (with `IfExists`) on `aws:SourceAccount` and `aws:SourceArn`, the keys a service
 * supplies when it assumes a role (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html). Any other
 * operator or key is not evaluated locally: an Allow it conditions is never read as granting, and a Deny it
 * conditions is read as applying (never kinder than AWS).
 */
export function trustAdmits(document: PolicyDocument, request: ServiceAssumeRequest): TrustDecision {
  const concerned = statementsOf(document).filter((s) => namesAssumeRole(s) && namesService(s, request.service));
  // A Deny applies unless its conditions are shown not to hold: one the local cloud cannot evaluate is taken to apply.
  const denied = concerned.find((s) => s.Effect === 'Deny' && conditionsMatch(s, request).matched !== false);
  if (denied) return { admitted: false, reason: `an explicit Deny${denied.Sid ? ` (${denied.Sid})` : ''} applies` };
  const reasons: string[] = [];
  for (const statement of concerned.filter((s) => s.Effect === 'Allow')) {
    const conditions = conditionsMatch(statement, request);
    if (conditions.matched === true) return { admitted: true };
    reasons.push(conditions.reason);
  }
  return {
    admitted: false,
    reason: reasons.length > 0 ? reasons.join('; ') : `no statement allows ${request.service} to call sts:AssumeRole`,
  };
}

function namesAssumeRole(statement: PolicyStatement): boolean {
  return listOf(statement.Action).some((a) => wildcardMatches(a, 'sts:AssumeRole'));
}

function namesService(statement: PolicyStatement, service: string): boolean {
  const principal = statement.Principal;
  if (principal === undefined) return false;
  if (principal === '*') return true;
  return listOf(principal['Service']).includes(service) || listOf(principal['AWS']).includes('*');
}

const CONTEXT_KEYS = { 'aws:sourceaccount': 'sourceAccount', 'aws:sourcearn': 'sourceArn' } as const;

/** Whether every condition holds; `matched: 'unknown'` when one is not evaluated locally. */
function conditionsMatch(
  statement: PolicyStatement,
  request: ServiceAssumeRequest,
): { matched: true } | { matched: false | 'unknown'; reason: string } {
  for (const [rawOperator, keys] of Object.entries(statement.Condition ?? {})) {
    const ifExists = rawOperator.endsWith('IfExists');
    const operator = ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator;
    const test = OPERATORS[operator];
    for (const [key, expected] of Object.entries(keys)) {
      const field = CONTEXT_KEYS[key.toLowerCase() as keyof typeof CONTEXT_KEYS];
      if (!test || !field) return { matched: 'unknown', reason: `condition ${rawOperator} on ${key} is not evaluated locally` };
      const actual = request[field];
      if (actual === undefined) {
        if (ifExists) continue;
        return { matched: false, reason: `${key} is not in the request (condition ${rawOperator})` };
      }
      if (!listOf(expected).some((e) => test(e, actual))) return { matched: false, reason: `${key} ${actual} does not satisfy ${rawOperator}` };
    }
  }
  return { matched: true };
}

const OPERATORS: Readonly<Record<string, (expected: string, actual: string) => boolean>> = {
  StringEquals: (e, a) => e === a,
  StringEqualsIgnoreCase: (e, a) => e.toLowerCase() === a.toLowerCase(),
  StringLike: (e, a) => wildcardMatches(e, a, false),
  ArnEquals: (e, a) => e === a,
  ArnLike: (e, a) => wildcardMatches(e, a, false),
};
