import { describe, expect, it } from 'vitest';
import { compileEventPattern, EventPatternError, matchesEventPattern } from '../../local/events/pattern.js';
import { loadSampleEvent } from './events-fixtures.js';

const spotWarning = loadSampleEvent('spot-interruption-warning');
const rebalance = loadSampleEvent('rebalance-recommendation');
const stateChange = loadSampleEvent('instance-state-change');

describe('the pattern CDK synthesizes for the interruption rule', () => {
  const pattern = { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] };

  it('matches the Spot interruption warning', () => {
    expect(matchesEventPattern(pattern, spotWarning)).toBe(true);
  });

  it('does not match the other EC2 events', () => {
    expect(matchesEventPattern(pattern, rebalance)).toBe(false);
    expect(matchesEventPattern(pattern, stateChange)).toBe(false);
  });

  it('accepts the JSON text a rule stores', () => {
    expect(matchesEventPattern(JSON.stringify(pattern), spotWarning)).toBe(true);
  });

  it('ORs the values of one field', () => {
    const either = { 'detail-type': ['EC2 Spot Instance Interruption Warning', 'EC2 Instance Rebalance Recommendation'] };
    expect([spotWarning, rebalance, stateChange].map(compileEventPattern(either))).toEqual([true, true, false]);
  });
});

describe('exact values', () => {
  it('matches nested fields and ANDs siblings', () => {
    expect(matchesEventPattern({ source: ['aws.ec2'], detail: { 'instance-action': ['terminate'] } }, spotWarning)).toBe(true);
    expect(matchesEventPattern({ source: ['aws.ec2'], detail: { 'instance-action': ['stop'] } }, spotWarning)).toBe(false);
    expect(matchesEventPattern({ source: ['aws.s3'], detail: { 'instance-action': ['terminate'] } }, spotWarning)).toBe(false);
  });

  it('does not match a field absent from the event', () => {
    expect(matchesEventPattern({ detail: { state: ['terminate'] } }, spotWarning)).toBe(false);
    expect(matchesEventPattern({ missing: { deeper: ['x'] } }, spotWarning)).toBe(false);
  });

  it('matches an event array when any element matches', () => {
    const arn = (spotWarning['resources'] as string[])[0]!;
    expect(matchesEventPattern({ resources: ['arn:other', arn] }, spotWarning)).toBe(true);
    expect(matchesEventPattern({ resources: ['arn:other'] }, spotWarning)).toBe(false);
    expect(matchesEventPattern({ tags: ['b'] }, { tags: ['a', ['b']] })).toBe(true);
  });

  it('matches nested patterns against arrays of objects element by element', () => {
    const event = { detail: { items: [{ name: 'a', size: 1 }, { name: 'b', size: 2 }] } };
    expect(matchesEventPattern({ detail: { items: { name: ['b'], size: [2] } } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { items: { name: ['c'] } } }, event)).toBe(false);
  });

  it('keeps JSON types apart: strings, numbers, booleans and null', () => {
    const event = { n: 5, s: '5', b: true, z: null };
    expect(matchesEventPattern({ n: [5] }, event)).toBe(true);
    expect(matchesEventPattern({ n: ['5'] }, event)).toBe(false);
    expect(matchesEventPattern({ s: [5] }, event)).toBe(false);
    expect(matchesEventPattern({ b: [true] }, event)).toBe(true);
    expect(matchesEventPattern({ b: ['true'] }, event)).toBe(false);
    expect(matchesEventPattern({ z: [null] }, event)).toBe(true);
    expect(matchesEventPattern({ absent: [null] }, event)).toBe(false);
  });

  it('does not treat an object field as a leaf value', () => {
    expect(matchesEventPattern({ detail: ['x'] }, spotWarning)).toBe(false);
  });
});

describe('content filters', () => {
  const event = {
    source: 'aws.ec2',
    time: '2026-11-22T10:00:00Z',
    detail: { state: 'running', count: 3, ratio: 0.5, ip: '10.0.0.17', name: 'EventBridge', file: 'photo.PNG' },
  };
  const match = (detail: Record<string, unknown>) => matchesEventPattern({ detail }, event);

  it('prefix and suffix, also ignoring case', () => {
    expect(matchesEventPattern({ time: [{ prefix: '2026-11-22' }] }, event)).toBe(true);
    expect(matchesEventPattern({ time: [{ prefix: '2026-11-23' }] }, event)).toBe(false);
    expect(match({ file: [{ suffix: '.PNG' }] })).toBe(true);
    expect(match({ file: [{ suffix: '.png' }] })).toBe(false);
    expect(match({ file: [{ suffix: { 'equals-ignore-case': '.png' } }] })).toBe(true);
    expect(match({ name: [{ prefix: { 'equals-ignore-case': 'eventb' } }] })).toBe(true);
    expect(match({ count: [{ prefix: '3' }] })).toBe(false);
  });

  it('anything-but with a value, a list and a prefix', () => {
    expect(match({ state: [{ 'anything-but': 'stopped' }] })).toBe(true);
    expect(match({ state: [{ 'anything-but': 'running' }] })).toBe(false);
    expect(match({ state: [{ 'anything-but': ['stopped', 'running'] }] })).toBe(false);
    expect(match({ count: [{ 'anything-but': [1, 2] }] })).toBe(true);
    expect(match({ count: [{ 'anything-but': 3 }] })).toBe(false);
    expect(match({ state: [{ 'anything-but': { prefix: 'run' } }] })).toBe(false);
    expect(match({ state: [{ 'anything-but': { prefix: 'stop' } }] })).toBe(true);
    expect(match({ state: [{ 'anything-but': { suffix: 'ing' } }] })).toBe(false);
    expect(match({ name: [{ 'anything-but': { 'equals-ignore-case': ['eventbridge'] } }] })).toBe(false);
  });

  it('anything-but does not match an absent field', () => {
    expect(match({ missing: [{ 'anything-but': 'x' }] })).toBe(false);
  });

  it('numeric comparisons and ranges on numbers only', () => {
    expect(match({ count: [{ numeric: ['>', 0, '<=', 3] }] })).toBe(true);
    expect(match({ count: [{ numeric: ['>', 3] }] })).toBe(false);
    expect(match({ count: [{ numeric: ['>=', 3] }] })).toBe(true);
    expect(match({ count: [{ numeric: ['=', 3] }] })).toBe(true);
    expect(match({ ratio: [{ numeric: ['<', 1, '>', 0] }] })).toBe(true);
    expect(match({ ratio: [{ numeric: ['<', 0.5] }] })).toBe(false);
    expect(match({ state: [{ numeric: ['>', 0] }] })).toBe(false);
  });

  it('exists true and false, on leaves only', () => {
    expect(match({ state: [{ exists: true }] })).toBe(true);
    expect(match({ missing: [{ exists: true }] })).toBe(false);
    expect(match({ missing: [{ exists: false }] })).toBe(true);
    expect(match({ state: [{ exists: false }] })).toBe(false);
    expect(matchesEventPattern({ detail: [{ exists: false }] }, event)).toBe(true);
    expect(matchesEventPattern({ absent: { deeper: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesEventPattern({ absent: { deeper: [{ exists: true }] } }, event)).toBe(false);
  });

  it('equals-ignore-case', () => {
    expect(match({ name: [{ 'equals-ignore-case': 'EVENTBRIDGE' }] })).toBe(true);
    expect(match({ name: [{ 'equals-ignore-case': 'event' }] })).toBe(false);
  });

  it('wildcard, with escapes', () => {
    expect(match({ file: [{ wildcard: 'photo.*' }] })).toBe(true);
    expect(match({ file: [{ wildcard: '*.PNG' }] })).toBe(true);
    expect(match({ file: [{ wildcard: 'p*o.P*G' }] })).toBe(true);
    expect(match({ file: [{ wildcard: 'photo' }] })).toBe(false);
    expect(matchesEventPattern({ k: [{ wildcard: 'a\\*b' }] }, { k: 'a*b' })).toBe(true);
    expect(matchesEventPattern({ k: [{ wildcard: 'a\\*b' }] }, { k: 'axb' })).toBe(false);
  });

  it('cidr for IPv4', () => {
    expect(match({ ip: [{ cidr: '10.0.0.0/24' }] })).toBe(true);
    expect(match({ ip: [{ cidr: '10.0.1.0/24' }] })).toBe(false);
    expect(match({ ip: [{ cidr: '0.0.0.0/0' }] })).toBe(true);
  });

  it('mixes exact values and filters as alternatives', () => {
    expect(match({ state: ['stopped', { prefix: 'run' }] })).toBe(true);
    expect(match({ state: ['stopped', { prefix: 'stop' }] })).toBe(false);
  });

  it('$or at the root and nested, ANDed with sibling fields', () => {
    const pattern = { source: ['aws.ec2'], $or: [{ detail: { count: [{ numeric: ['>', 10] }] } }, { detail: { state: ['running'] } }] };
    expect(matchesEventPattern(pattern, event)).toBe(true);
    expect(matchesEventPattern({ ...pattern, source: ['aws.s3'] }, event)).toBe(false);
    expect(match({ $or: [{ count: [1] }, { state: ['stopped'] }] })).toBe(false);
  });
});

describe('pattern validation', () => {
  const invalid: Array<[string, unknown]> = [
    ['a non-object pattern', ['aws.ec2']],
    ['a bare string value', { source: 'aws.ec2' }],
    ['an empty array', { source: [] }],
    ['an empty nested object', { detail: {} }],
    ['an unknown operator', { source: [{ regex: '.*' }] }],
    ['two operators in one filter', { source: [{ prefix: 'a', suffix: 'b' }] }],
    ['a non-string prefix', { source: [{ prefix: 1 }] }],
    ['a numeric operator that is not one', { n: [{ numeric: ['!=', 1] }] }],
    ['a numeric bound that is not a number', { n: [{ numeric: ['>', '1'] }] }],
    ['a numeric range with two lower bounds', { n: [{ numeric: ['>', 1, '>=', 2] }] }],
    ['a non-boolean exists', { n: [{ exists: 'yes' }] }],
    ['anything-but mixing strings and numbers', { n: [{ 'anything-but': ['a', 1] }] }],
    ['an unknown operator inside anything-but', { n: [{ 'anything-but': { numeric: ['>', 1] } }] }],
    ['consecutive wildcards', { n: [{ wildcard: 'a**b' }] }],
    ['an IPv6 cidr', { n: [{ cidr: '2001:db8::/32' }] }],
    ['a $or with one alternative', { $or: [{ source: ['a'] }] }],
    ['a nested array in the values', { source: [['a']] }],
    ['text that is not JSON', '{source:'],
  ];

  it.each(invalid)('rejects %s', (_label, pattern) => {
    expect(() => compileEventPattern(pattern)).toThrow(EventPatternError);
  });

  it('names the offending place', () => {
    expect(() => compileEventPattern({ detail: { state: [{ regex: 'x' }] } })).toThrow(/detail\.state\[0\]\.regex: unsupported operator "regex"/);
  });
});
