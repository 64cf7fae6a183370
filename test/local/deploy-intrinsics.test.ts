import { describe, expect, it } from 'vitest';
import { evaluateConditions, IntrinsicError, NO_VALUE, resolveValue, type ResolveContext } from '../../local/deploy/intrinsics.js';

const base: Omit<ResolveContext, 'conditions'> = {
  pseudo: {
    region: 'eu-west-1',
    accountId: '123456789012',
    partition: 'aws',
    urlSuffix: 'amazonaws.com',
    stackName: 'Web',
    stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Web/x',
  },
  parameters: { Ami: 'ami-1', Cidrs: ['10.0.0.0/24', '10.0.1.0/24'] },
  resources: {
    Queue: { physicalId: 'https://sqs/q', attributes: { Arn: 'arn:aws:sqs:eu-west-1:123456789012:q', 'Endpoint.Address': 'db.local' } },
  },
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
};
const ctx: ResolveContext = { ...base, conditions: { IsProd: false, Always: true } };
const resolve = (value: unknown) => resolveValue(value, ctx, 'Resources.X.Properties');

describe('resolveValue', () => {
  it('resolves Ref to pseudo parameters, parameters and resources', () => {
    expect(resolve({ Ref: 'AWS::Region' })).toBe('eu-west-1');
    expect(resolve({ Ref: 'AWS::Partition' })).toBe('aws');
    expect(resolve({ Ref: 'AWS::URLSuffix' })).toBe('amazonaws.com');
    expect(resolve({ Ref: 'AWS::StackName' })).toBe('Web');
    expect(resolve({ Ref: 'Ami' })).toBe('ami-1');
    expect(resolve({ Ref: 'Queue' })).toBe('https://sqs/q');
  });

  it('resolves Fn::GetAtt in list and dotted-string form, including dotted attribute names', () => {
    expect(resolve({ 'Fn::GetAtt': ['Queue', 'Arn'] })).toBe('arn:aws:sqs:eu-west-1:123456789012:q');
    expect(resolve({ 'Fn::GetAtt': 'Queue.Endpoint.Address' })).toBe('db.local');
  });

  it('resolves Join, Select, Split, GetAZs and Base64, nested', () => {
    expect(resolve({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::b']] })).toBe('arn:aws:s3:::b');
    expect(resolve({ 'Fn::Select': [1, { 'Fn::GetAZs': '' }] })).toBe('eu-west-1b');
    expect(resolve({ 'Fn::Select': ['0', { 'Fn::Split': [',', 'a,b'] }] })).toBe('a');
    expect(resolve({ 'Fn::Base64': { 'Fn::Join': ['-', ['x', 'y']] } })).toBe(Buffer.from('x-y').toString('base64'));
  });

  it('resolves Fn::Sub with references, attributes, local variables and the ${!} escape', () => {
    expect(resolve({ 'Fn::Sub': 'cdk-${AWS::AccountId}-${AWS::Region}' })).toBe('cdk-123456789012-eu-west-1');
    expect(resolve({ 'Fn::Sub': '${Queue.Arn}|${Ami}|${!Literal}' })).toBe('arn:aws:sqs:eu-west-1:123456789012:q|ami-1|${Literal}');
    expect(resolve({ 'Fn::Sub': ['${Name}-${AWS::Region}', { Name: { Ref: 'Ami' } }] })).toBe('ami-1-eu-west-1');
  });

  it('drops AWS::NoValue properties and list items, and picks Fn::If branches by condition', () => {
    expect(
      resolve({
        A: { 'Fn::If': ['IsProd', 'big', { Ref: 'AWS::NoValue' }] },
        B: { 'Fn::If': ['Always', 'yes', 'no'] },
        C: ['x', { Ref: 'AWS::NoValue' }],
      }),
    ).toEqual({ B: 'yes', C: ['x'] });
    expect(resolve({ Ref: 'AWS::NoValue' })).toBe(NO_VALUE);
  });

  it('names the path and the reference when something is unknown', () => {
    expect(() => resolve({ Nested: [{ Ref: 'Missing' }] })).toThrow(
      new IntrinsicError('Resources.X.Properties.Nested[0].Ref', 'Ref to "Missing", which is neither a parameter nor a resource created so far'),
    );
    expect(() => resolve({ 'Fn::GetAtt': ['Queue', 'Nope'] })).toThrow(/Resources\.X\.Properties\.Fn::GetAtt: "Queue" has no attribute "Nope" \(known: Arn, Endpoint\.Address\)/);
    expect(() => resolve({ 'Fn::GetAtt': ['Later', 'Arn'] })).toThrow(/"Later", which is not a resource created so far/);
    expect(() => resolve({ 'Fn::ImportValue': 'x' })).toThrow(/unsupported intrinsic function "Fn::ImportValue"/);
    expect(() => resolve({ Ref: 'AWS::Bogus' })).toThrow(/unknown pseudo parameter "AWS::Bogus"/);
    expect(() => resolve({ 'Fn::Select': [5, ['a']] })).toThrow(/outside a list of 1/);
    expect(() => resolve({ 'Fn::If': ['Unknown', 1, 2] })).toThrow(/unknown condition "Unknown"/);
    expect(() => resolve({ 'Fn::GetAZs': 'us-east-1' })).toThrow(/only the stack's region/);
  });

  it('leaves objects with more than one key (not intrinsics) as data', () => {
    expect(resolve({ Ref: 'Ami', Other: 1 })).toEqual({ Ref: 'Ami', Other: 1 });
  });
});

describe('evaluateConditions', () => {
  it('evaluates Equals/Not/And/Or and conditions that refer to other conditions, in any order', () => {
    const conditions = evaluateConditions(
      {
        NotIreland: { 'Fn::Not': [{ Condition: 'Ireland' }] },
        Ireland: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
        Both: { 'Fn::And': [{ Condition: 'Ireland' }, { 'Fn::Equals': [{ Ref: 'Ami' }, 'ami-1'] }] },
        Either: { 'Fn::Or': [{ Condition: 'NotIreland' }, { 'Fn::Equals': ['a', 'b'] }] },
      },
      base,
    );
    expect(conditions).toEqual({ NotIreland: false, Ireland: true, Both: true, Either: false });
  });

  it('rejects a condition that refers to itself and one that is not boolean', () => {
    expect(() => evaluateConditions({ A: { 'Fn::Not': [{ Condition: 'B' }] }, B: { 'Fn::Not': [{ Condition: 'A' }] } }, base)).toThrow(
      /refers to itself/,
    );
    expect(() => evaluateConditions({ A: { Ref: 'Ami' } }, base)).toThrow(/Conditions\.A: a condition needs conditions that evaluate to true or false/);
  });
});
