// The local cloud's IAM logic that needs no moto: trust policies as a service presents itself, policies in the form
// moto can evaluate, and the names and signatures around them.
import { describe, expect, it } from 'vitest';
import { projectForMoto } from '../../local/iam/policy-projection.js';
import { parsePolicyDocument, type PolicyDocument } from '../../local/iam/policy-document.js';
import { sigV4Scope } from '../../local/iam/resign.js';
import { roleNameOf, standInName } from '../../local/iam/role-sessions.js';
import { trustAdmits } from '../../local/iam/trust-policy.js';
import { functionNameOf } from '../../local/deploy/provisioners/lambda.js';

const ACCOUNT = '123456789012';
const FLEET = `arn:aws:ec2:us-east-1:${ACCOUNT}:spot-fleet-request/sfr-1`;

function trust(statement: Record<string, unknown>): PolicyDocument {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', ...statement }] } as PolicyDocument;
}

describe('trust policies (a service assuming a role)', () => {
  const spotFleet = { service: 'spotfleet.amazonaws.com', sourceAccount: ACCOUNT, sourceArn: FLEET };

  it("admits the service the policy names, with the template's aws:SourceAccount condition", () => {
    const doc = trust({ Principal: { Service: 'spotfleet.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } });
    expect(trustAdmits(doc, spotFleet)).toEqual({ admitted: true });
  });

  it('refuses another service, another account, and a source ARN outside an ArnLike pattern', () => {
    expect(trustAdmits(trust({ Principal: { Service: 'lambda.amazonaws.com' } }), spotFleet).admitted).toBe(false);
    const otherAccount = trust({ Principal: { Service: 'spotfleet.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '210987654321' } } });
    expect(trustAdmits(otherAccount, spotFleet)).toEqual({ admitted: false, reason: `aws:SourceAccount ${ACCOUNT} does not satisfy StringEquals` });
    const otherFleet = trust({ Principal: { Service: 'spotfleet.amazonaws.com' }, Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:ec2:*:*:spot-fleet-request/sfr-2' } } });
    expect(trustAdmits(otherFleet, spotFleet).admitted).toBe(false);
    const thisFleet = trust({ Principal: { Service: 'spotfleet.amazonaws.com' }, Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:ec2:*:*:spot-fleet-request/*' } } });
    expect(trustAdmits(thisFleet, spotFleet)).toEqual({ admitted: true });
  });

  it('an explicit Deny wins; a condition the local cloud cannot evaluate never grants', () => {
    const denied: PolicyDocument = {
      Statement: [
        { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'spotfleet.amazonaws.com' } },
        { Sid: 'NoFleets', Effect: 'Deny', Action: 'sts:*', Principal: '*' },
      ],
    };
    expect(trustAdmits(denied, spotFleet)).toEqual({ admitted: false, reason: 'an explicit Deny (NoFleets) applies' });
    const unknown = trust({ Principal: { Service: 'spotfleet.amazonaws.com' }, Condition: { Bool: { 'aws:SecureTransport': 'true' } } });
    expect(trustAdmits(unknown, spotFleet)).toEqual({ admitted: false, reason: 'condition Bool on aws:SecureTransport is not evaluated locally' });
    const absent = trust({ Principal: { Service: 'lambda.amazonaws.com' }, Condition: { ArnLike: { 'aws:SourceArn': '*' } } });
    expect(trustAdmits(absent, { service: 'lambda.amazonaws.com', sourceAccount: ACCOUNT }).admitted).toBe(false);
    const ifExists = trust({ Principal: { Service: 'lambda.amazonaws.com' }, Condition: { ArnLikeIfExists: { 'aws:SourceArn': 'arn:nothing' } } });
    expect(trustAdmits(ifExists, { service: 'lambda.amazonaws.com', sourceAccount: ACCOUNT })).toEqual({ admitted: true });
  });

  it('a Deny whose condition the local cloud cannot evaluate applies; one whose condition is shown not to hold does not', () => {
    const allow = { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'spotfleet.amazonaws.com' } } as const;
    const unknownDeny: PolicyDocument = {
      Statement: [allow, { Sid: 'TlsOnly', Effect: 'Deny', Action: 'sts:AssumeRole', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
    };
    expect(trustAdmits(unknownDeny, spotFleet)).toEqual({ admitted: false, reason: 'an explicit Deny (TlsOnly) applies' });
    const otherAccountDeny: PolicyDocument = {
      Statement: [allow, { Effect: 'Deny', Action: 'sts:AssumeRole', Principal: '*', Condition: { StringEquals: { 'aws:SourceAccount': '210987654321' } } }],
    };
    expect(trustAdmits(otherAccountDeny, spotFleet)).toEqual({ admitted: true });
  });

  it("reads IAM's URL-encoded documents and moto's plain ones alike", () => {
    const doc = { Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }] };
    expect(parsePolicyDocument(encodeURIComponent(JSON.stringify(doc)))).toEqual(doc);
    expect(parsePolicyDocument(JSON.stringify(doc))).toEqual(doc);
  });
});

describe('policies as moto evaluates them', () => {
  it("widens every Allow's resources to *, keeps actions, conditions and Deny statements as written", () => {
    const tg = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/web/1`;
    const doc: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'elasticloadbalancing:DeregisterTargets', Resource: tg },
        { Effect: 'Allow', Action: ['ec2:RunInstances'], Resource: '*', Condition: { ArnEquals: { 'ec2:LaunchTemplate': 'arn:lt' } } },
        { Effect: 'Allow', Action: 'sns:Publish', NotResource: 'arn:aws:sns:*:*:other' },
        { Effect: 'Deny', Action: 'ec2:TerminateInstances', Resource: tg },
      ],
    };
    expect(projectForMoto(doc).Statement).toEqual([
      { Effect: 'Allow', Action: 'elasticloadbalancing:DeregisterTargets', Resource: '*' },
      { Effect: 'Allow', Action: ['ec2:RunInstances'], Resource: '*', Condition: { ArnEquals: { 'ec2:LaunchTemplate': 'arn:lt' } } },
      { Effect: 'Allow', Action: 'sns:Publish', Resource: '*' },
      { Effect: 'Deny', Action: 'ec2:TerminateInstances', Resource: tg },
    ]);
  });
});

describe('names and signatures', () => {
  it("a role ARN's name, and its stand-in's within IAM's 64 characters", () => {
    expect(roleNameOf(`arn:aws:iam::${ACCOUNT}:role/service/SpotWeb-Role-ABC`)).toBe('SpotWeb-Role-ABC');
    expect(() => roleNameOf(`arn:aws:iam::${ACCOUNT}:user/x`)).toThrow('not an IAM role ARN');
    expect(standInName('SpotWeb-Role-ABC')).toBe('SpotWeb-Role-ABC-moto');
    const long = 'x'.repeat(64);
    expect(standInName(long)).toHaveLength(64);
    expect(standInName(long).endsWith('-moto')).toBe(true);
  });

  it('a SigV4 Authorization header names the key, region, service and signed headers', () => {
    const header =
      'AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261130/us-east-1/ec2/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=abc';
    expect(sigV4Scope(header)).toEqual({ accessKeyId: 'AKIAEXAMPLE', region: 'us-east-1', service: 'ec2', signedHeaders: ['content-type', 'host', 'x-amz-date'] });
    expect(sigV4Scope('Bearer x')).toBeUndefined();
  });

  it('an unqualified function ARN becomes its name; anything else stays', () => {
    expect(functionNameOf(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:SpotWeb-Handler-1`)).toBe('SpotWeb-Handler-1');
    expect(functionNameOf(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:f:live`)).toBe(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:f:live`);
    expect(functionNameOf('plain')).toBe('plain');
  });
});
