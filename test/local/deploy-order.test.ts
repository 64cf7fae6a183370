import { describe, expect, it } from 'vitest';
import { DependencyError, deploymentWaves, referencedNames } from '../../local/deploy/order.js';

describe('referencedNames', () => {
  it('finds Ref, GetAtt (both forms) and Fn::Sub references, without pseudo parameters or Sub-local names', () => {
    const names = referencedNames({
      A: { Ref: 'Vpc' },
      B: [{ 'Fn::GetAtt': ['Role', 'Arn'] }, { 'Fn::GetAtt': 'Lb.DNSName' }],
      C: { 'Fn::Sub': ['${Queue.Arn}/${Local}/${AWS::Region}/${!Escaped}', { Local: { Ref: 'Topic' } }] },
      D: { 'Fn::Sub': 'x-${Bucket}' },
    });
    expect([...names].sort()).toEqual(['Bucket', 'Lb', 'Queue', 'Role', 'Topic', 'Vpc']);
  });
});

describe('deploymentWaves', () => {
  it('puts every resource after what it references or DependsOn names, keeping template order within a wave', () => {
    const waves = deploymentWaves({
      Route: { Type: 'R', Properties: { Table: { Ref: 'Table' } }, DependsOn: 'Attach' },
      Vpc: { Type: 'V' },
      Table: { Type: 'T', Properties: { VpcId: { Ref: 'Vpc' } } },
      Igw: { Type: 'I' },
      Attach: { Type: 'A', Properties: { VpcId: { Ref: 'Vpc' }, IgwId: { Ref: 'Igw' } } },
      Uses: { Type: 'U', Properties: { Ami: { Ref: 'AmiParameter' }, Region: { Ref: 'AWS::Region' } } },
    });
    expect(waves).toEqual([['Vpc', 'Igw', 'Uses'], ['Table', 'Attach'], ['Route']]);
  });

  it('reports a cycle with its members', () => {
    expect(() =>
      deploymentWaves({
        A: { Type: 'X', Properties: { P: { 'Fn::GetAtt': ['B', 'Arn'] } } },
        B: { Type: 'X', Properties: { P: { 'Fn::Sub': '${C}' } } },
        C: { Type: 'X', DependsOn: ['A'] },
        Free: { Type: 'X' },
      }),
    ).toThrow(new DependencyError('Circular dependency between resources: A -> B -> C -> A'));
  });

  it('rejects a DependsOn on an unknown resource and a resource that needs itself', () => {
    expect(() => deploymentWaves({ A: { Type: 'X', DependsOn: 'Ghost' } })).toThrow(/Resources\.A\.DependsOn names "Ghost"/);
    expect(() => deploymentWaves({ A: { Type: 'X', Properties: { P: { Ref: 'A' } } } })).toThrow(/Resources\.A depends on itself/);
  });
});
