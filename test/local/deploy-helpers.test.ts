import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCdkBootstrapVersion } from '../../local/deploy/parameters.js';
import { physicalName } from '../../local/deploy/physical-name.js';
import { toIpPermission } from '../../local/deploy/provisioners/ec2-security-group.js';
import { loadBalancerFullName, targetGroupFullName } from '../../local/deploy/provisioners/elbv2.js';
import { toLaunchSpecifications } from '../../local/deploy/provisioners/spot-fleet-specs.js';
import { createZip } from '../../local/deploy/zip.js';

describe('toLaunchSpecifications', () => {
  const data = {
    ImageId: 'ami-1',
    UserData: 'IyEvYmluL2Jhc2g=',
    IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/p' },
    SecurityGroupIds: ['sg-1'],
    TagSpecifications: [
      { ResourceType: 'instance', Tags: [{ Key: 'app', Value: 'web' }] },
      { ResourceType: 'volume', Tags: [{ Key: 'v', Value: '1' }] },
    ],
  };

  it('makes one specification per override, carrying the launch template data moto would drop', () => {
    const specs = toLaunchSpecifications(
      [
        {
          LaunchTemplateSpecification: { LaunchTemplateId: 'lt-1', Version: '1' },
          Overrides: [
            { InstanceType: 't3.small', SubnetId: 'subnet-a' },
            { InstanceType: 'm5.large', SubnetId: 'subnet-b', WeightedCapacity: 2 },
          ],
        },
      ],
      (spec) => {
        expect(spec.LaunchTemplateId).toBe('lt-1');
        return data;
      },
    );
    expect(specs).toEqual([
      {
        ImageId: 'ami-1',
        InstanceType: 't3.small',
        SubnetId: 'subnet-a',
        UserData: 'IyEvYmluL2Jhc2g=',
        IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/p' },
        SecurityGroups: [{ GroupId: 'sg-1' }],
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'app', Value: 'web' }] }],
      },
      expect.objectContaining({ InstanceType: 'm5.large', SubnetId: 'subnet-b', WeightedCapacity: 2 }),
    ]);
  });

  it('uses the template alone when there are no overrides, and needs an instance type from somewhere', () => {
    const config = [{ LaunchTemplateSpecification: { LaunchTemplateId: 'lt-1' } }];
    expect(toLaunchSpecifications(config, () => ({ ...data, InstanceType: 'c5.large' }))).toHaveLength(1);
    expect(() => toLaunchSpecifications(config, () => data)).toThrow(/needs ImageId and InstanceType/);
  });
});

describe('physicalName', () => {
  it('joins stack, logical id and suffix like CloudFormation, shortening both to fit', () => {
    expect(physicalName('SpotWeb', 'Queue', 80, { suffix: 'ABC' })).toBe('SpotWeb-Queue-ABC');
    const name = physicalName('SpotWeb', 'LoadBalancerTargetGroup2D943C35', 32, { alphanumericAndHyphens: true });
    expect(name.length).toBeLessThanOrEqual(32);
    expect(name).toMatch(/^SpotWeb-LoadBalance[A-Za-z0-9]*-[A-Z0-9]{8}$/);
    expect(physicalName('My_Stack', 'Id', 32, { alphanumericAndHyphens: true, suffix: 'S' })).toBe('MyStack-Id-S');
  });
});

describe('resource attribute helpers', () => {
  it('derives the CloudWatch full names from load balancer and target group ARNs', () => {
    expect(loadBalancerFullName('arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188')).toBe(
      'app/web/50dc6c495c0c9188',
    );
    expect(targetGroupFullName('arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/73e2d6bc24d8a067')).toBe(
      'targetgroup/tg/73e2d6bc24d8a067',
    );
    expect(() => targetGroupFullName('arn:aws:sqs:us-east-1:1:q')).toThrow(/not a target group ARN/);
  });

  it('turns CloudFormation security group rules into IpPermissions', () => {
    expect(toIpPermission({ IpProtocol: 'tcp', FromPort: 8000, ToPort: 8000, SourceSecurityGroupId: 'sg-a', Description: 'd' }, 'SourceSecurityGroupId')).toEqual({
      IpProtocol: 'tcp',
      FromPort: 8000,
      ToPort: 8000,
      UserIdGroupPairs: [{ GroupId: 'sg-a', Description: 'd' }],
    });
    expect(toIpPermission({ IpProtocol: '-1', CidrIp: '0.0.0.0/0' }, 'DestinationSecurityGroupId')).toEqual({
      IpProtocol: '-1',
      IpRanges: [{ CidrIp: '0.0.0.0/0', Description: undefined }],
    });
  });

  it('recognises only the CDK bootstrap version parameter as not applicable', () => {
    expect(isCdkBootstrapVersion({ Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' })).toBe(true);
    expect(isCdkBootstrapVersion({ Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: '/aws/service/ami' })).toBe(false);
  });
});

describe('createZip', () => {
  it('writes an archive that unzip reads back byte for byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spotweb-zip-'));
    try {
      const files = [
        { name: 'index.js', data: Buffer.from('exports.handler = async () => 1;\n'.repeat(50)) },
        { name: 'lib/x.json', data: Buffer.from('{"a":1}') },
      ];
      writeFileSync(join(dir, 'a.zip'), createZip(files));
      for (const file of files) {
        expect(execFileSync('unzip', ['-p', join(dir, 'a.zip'), file.name])).toEqual(file.data);
      }
      expect(execFileSync('unzip', ['-t', join(dir, 'a.zip')]).toString()).toMatch(/No errors detected/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
