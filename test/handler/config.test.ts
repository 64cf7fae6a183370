import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../handlers/interruption/config.js';

const TG_A = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef';
const TG_B = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/fedcba9876543210';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:spotweb-interruptions';

describe('parseConfig', () => {
  it('applies defaults when only the target groups and the deregistration delay are given', () => {
    expect(parseConfig({ TARGET_GROUP_ARNS: TG_A, DEREGISTRATION_DELAY_SECONDS: '120' })).toEqual({
      targetGroupArns: [TG_A],
      drainOnRebalance: false,
      deregistrationDelaySeconds: 120,
    });
  });

  it('reads every variable', () => {
    expect(
      parseConfig({
        TARGET_GROUP_ARNS: ` ${TG_A} , ${TG_B},`,
        TOPIC_ARN: TOPIC,
        CONFIRMATION_TABLE_NAME: ' spotweb-Confirmations-1A2B3C ',
        DRAIN_ON_REBALANCE: 'TRUE',
        DEREGISTRATION_DELAY_SECONDS: '90',
      }),
    ).toEqual({
      targetGroupArns: [TG_A, TG_B],
      topicArn: TOPIC,
      confirmationTableName: 'spotweb-Confirmations-1A2B3C',
      drainOnRebalance: true,
      deregistrationDelaySeconds: 90,
    });
  });

  it('requires the confirmation table with a topic: without it a duplicate could confirm twice, a failed publish lose it', () => {
    expect(() => parseConfig({ TARGET_GROUP_ARNS: TG_A, DEREGISTRATION_DELAY_SECONDS: '120', TOPIC_ARN: TOPIC })).toThrow(
      /CONFIRMATION_TABLE_NAME is required with TOPIC_ARN/,
    );
  });

  it('drops a target group listed twice', () => {
    expect(parseConfig({ TARGET_GROUP_ARNS: `${TG_A},${TG_A}`, DEREGISTRATION_DELAY_SECONDS: '120' }).targetGroupArns).toEqual([TG_A]);
  });

  it.each([undefined, '', ' , '])('fails fast when TARGET_GROUP_ARNS is %j', (value) => {
    expect(() => parseConfig({ TARGET_GROUP_ARNS: value })).toThrow(new ConfigError(
      'TARGET_GROUP_ARNS is required: a comma-separated list of target group ARNs',
    ));
  });

  it.each([undefined, ''])('fails fast when DEREGISTRATION_DELAY_SECONDS is %j: the handler keeps no default of its own', (value) => {
    expect(() => parseConfig({ TARGET_GROUP_ARNS: TG_A, DEREGISTRATION_DELAY_SECONDS: value })).toThrow(/DEREGISTRATION_DELAY_SECONDS is required/);
  });

  it('names the values that are not target group ARNs', () => {
    expect(() => parseConfig({ TARGET_GROUP_ARNS: `${TG_A},targetgroup/web` })).toThrow(/not target group ARNs: targetgroup\/web$/);
  });

  it.each([
    [{ TOPIC_ARN: TG_A }, /TOPIC_ARN is not an SNS topic ARN/],
    [{ CONFIRMATION_TABLE_NAME: 'a b' }, /CONFIRMATION_TABLE_NAME is not a DynamoDB table name: a b$/],
    [{ DRAIN_ON_REBALANCE: 'yes' }, /DRAIN_ON_REBALANCE must be "true" or "false", got "yes"/],
    [{ DEREGISTRATION_DELAY_SECONDS: '2m' }, /DEREGISTRATION_DELAY_SECONDS must be an integer from 0 to 3600/],
    [{ DEREGISTRATION_DELAY_SECONDS: '3601' }, /DEREGISTRATION_DELAY_SECONDS must be an integer from 0 to 3600/],
  ])('rejects %j', (env, message) => {
    expect(() => parseConfig({ TARGET_GROUP_ARNS: TG_A, DEREGISTRATION_DELAY_SECONDS: '120', ...env })).toThrow(message);
  });
});
