import { describe, expect, it } from 'vitest';
import { identityPoliciesAllow } from '../../local/iam/role-policies.js';
import type { PolicyDocument } from '../../local/iam/policy-document.js';

const FN = 'arn:aws:lambda:us-east-1:123456789012:function:spotweb-Confirmation';
const allow = (Action: string | string[], Resource: string | string[]): PolicyDocument => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action, Resource }] });

describe('identityPoliciesAllow (IAM policy evaluation for one principal)', () => {
  it('allows what a statement grants, on the resource it names', () => {
    expect(identityPoliciesAllow([allow('lambda:InvokeFunction', FN)], 'lambda:InvokeFunction', FN)).toBe(true);
    expect(identityPoliciesAllow([allow('lambda:*', `${FN}*`)], 'lambda:InvokeFunction', FN)).toBe(true);
  });

  it('denies implicitly: another action, another resource, no policy at all', () => {
    expect(identityPoliciesAllow([allow('lambda:GetFunction', FN)], 'lambda:InvokeFunction', FN)).toBe(false);
    expect(identityPoliciesAllow([allow('lambda:InvokeFunction', `${FN}-other`)], 'lambda:InvokeFunction', FN)).toBe(false);
    expect(identityPoliciesAllow([], 'lambda:InvokeFunction', FN)).toBe(false);
  });

  it('matches actions case-insensitively and ARNs case-sensitively', () => {
    expect(identityPoliciesAllow([allow('Lambda:invokefunction', FN)], 'lambda:InvokeFunction', FN)).toBe(true);
    expect(identityPoliciesAllow([allow('lambda:InvokeFunction', FN.toLowerCase())], 'lambda:InvokeFunction', FN)).toBe(false);
  });

  it('lets an explicit Deny win over any Allow, and reads NotAction / NotResource', () => {
    const deny: PolicyDocument = { Statement: { Effect: 'Deny', Action: 'lambda:InvokeFunction', Resource: '*' } };
    expect(identityPoliciesAllow([allow('*', '*'), deny], 'lambda:InvokeFunction', FN)).toBe(false);
    expect(identityPoliciesAllow([{ Statement: [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }] }], 'lambda:InvokeFunction', FN)).toBe(true);
    expect(identityPoliciesAllow([{ Statement: [{ Effect: 'Allow', Action: '*', NotResource: FN }] }], 'lambda:InvokeFunction', FN)).toBe(false);
  });
});
