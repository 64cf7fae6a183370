import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseConfirmationConfig } from '../../handlers/interruption/config.js';

const TG_A = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef';
const TG_B = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/fedcba9876543210';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:spotweb-interruptions';

describe('parseConfig (the interruption handler)', () => {
  it('applies defaults when only the target groups are given', () => {
    expect(parseConfig({ TARGET_GROUP_ARNS: TG_A })).toEqual({ targetGroupArns: [TG_A], drainOnRebalance: false });
  });

  it('reads every variable', () => {
    expect(parseConfig({ TARGET_GROUP_ARNS: ` ${TG_A} , ${TG_B},`, DRAIN_ON_REBALANCE: 'TRUE' })).toEqual({
      targetGroupArns: [TG_A, TG_B],
      drainOnRebalance: true,
    });
  });

  it('drops a target group listed twice', () => {
    expect(parseConfig({ TARGET_GROUP_ARNS: `${TG_A},${TG_A}` }).targetGroupArns).toEqual([TG_A]);
  });

  it.each([undefined, '', ' , '])('fails fast when TARGET_GROUP_ARNS is %j', (value) => {
    expect(() => parseConfig({ TARGET_GROUP_ARNS: value })).toThrow(new ConfigError(
      'TARGET_GROUP_ARNS is required: a comma-separated list of target group ARNs',
    ));
  });

  it('names the values that are not target group ARNs', () => {
    expect(() => parseConfig({ TARGET_GROUP_ARNS: `${TG_A},targetgroup/web` })).toThrow(/not target group ARNs: targetgroup\/web$/);
  });

  it('rejects a DRAIN_ON_REBALANCE that is not a boolean', () => {
    expect(() => parseConfig({ TARGET_GROUP_ARNS: TG_A, DRAIN_ON_REBALANCE: 'yes' })).toThrow(/DRAIN_ON_REBALANCE must be "true" or "false", got "yes"/);
  });
});

describe('parseConfirmationConfig (the drain confirmation function)', () => {
  const valid = { TARGET_GROUP_ARNS: `${TG_A},${TG_B}`, TOPIC_ARN: TOPIC, CONFIRMATION_TABLE_NAME: ' spotweb-Confirmations-1A2B3C ', DEREGISTRATION_DELAY_SECONDS: '90' };

  it('reads every variable', () => {
    expect(parseConfirmationConfig(valid)).toEqual({
      targetGroupArns: [TG_A, TG_B],
      topicArn: TOPIC,
      confirmationTableName: 'spotweb-Confirmations-1A2B3C',
      deregistrationDelaySeconds: 90,
    });
  });

  it.each([
    ['TARGET_GROUP_ARNS', /TARGET_GROUP_ARNS is required/],
    ['TOPIC_ARN', /TOPIC_ARN is required/],
    ['CONFIRMATION_TABLE_NAME', /CONFIRMATION_TABLE_NAME is required: the DynamoDB table that makes each drain confirmation go out once/],
    // The function keeps no default of its own: the stack states the delay once.
    ['DEREGISTRATION_DELAY_SECONDS', /DEREGISTRATION_DELAY_SECONDS is required/],
  ])('fails fast without %s', (name, message) => {
    expect(() => parseConfirmationConfig({ ...valid, [name]: ' ' })).toThrow(message);
  });

  it.each([
    [{ TOPIC_ARN: TG_A }, /TOPIC_ARN is not an SNS topic ARN/],
    [{ CONFIRMATION_TABLE_NAME: 'a b' }, /CONFIRMATION_TABLE_NAME is not a DynamoDB table name: a b$/],
    [{ DEREGISTRATION_DELAY_SECONDS: '2m' }, /DEREGISTRATION_DELAY_SECONDS must be an integer from 0 to 3600/],
    [{ DEREGISTRATION_DELAY_SECONDS: '3601' }, /DEREGISTRATION_DELAY_SECONDS must be an integer from 0 to 3600/],
  ])('rejects %j', (env, message) => {
    expect(() => parseConfirmationConfig({ ...valid, ...env })).toThrow(message);
  });
});
