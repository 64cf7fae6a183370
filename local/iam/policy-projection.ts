import { statementsOf, type PolicyDocument, type PolicyStatement } from './policy-document.js';

/**
 * A role's policy rewritten into what moto 5.2.1 can evaluate: every `Allow` statement's resource scope becomes
 * `*`; actions, `Deny` statements and conditions stay as written.
 *
 * Why (read from moto/core/responses.py `call_action` and moto/iam/access_control.py `IAMPolicyStatement`, and
 * measured in test/local/iam-enforcement.test.ts): moto authorizes every request against the resource `*`, except
 * IAM and STS calls on a role and SQS calls on a queue, and matches a statement's `Resource` against that string.
 * An `Allow` scoped to a target group ARN therefore never matches in moto: the right target group is denied exactly
 * like the wrong one. Left as written, every scoped grant of this stack would fail locally, so the local cloud
 * cannot check scoping at all; it checks actions, which it can. A `Deny` is left alone: widened, it would deny more
 * than AWS does; as written, moto ignores a scoped one (`Resource` never matches `*`) and applies an unscoped one.
 * Conditions are kept and are moot: moto evaluates identity-policy conditions against no request context, and a
 * condition with no context values passes.
 */
export function projectForMoto(document: PolicyDocument): PolicyDocument {
  return { Version: document.Version ?? '2012-10-17', Statement: statementsOf(document).map(projectStatement) };
}

function projectStatement(statement: PolicyStatement): PolicyStatement {
  if (statement.Effect !== 'Allow') return statement;
  const { Resource: _resource, NotResource: _notResource, ...rest } = statement;
  return { ...rest, Resource: '*' };
}
