import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../handlers/interruption/event.js';
import { interruptionWarning, rebalanceRecommendation, stateChangeNotification } from '../../harness/ec2-events.js';

const INSTANCE = 'i-1234567890abcdef0';

describe('parseEvent', () => {
  it.each(['terminate', 'stop', 'hibernate'])('accepts an interruption warning with action %s', (action) => {
    const event = interruptionWarning(INSTANCE, action);
    expect(parseEvent(event)).toEqual({ kind: 'interruption', eventId: event.id, instanceId: INSTANCE, action, time: event.time, region: event.region });
  });

  it('accepts an old-style 8-digit instance id', () => {
    expect(parseEvent(interruptionWarning('i-0123abcd'))).toMatchObject({ kind: 'interruption', instanceId: 'i-0123abcd' });
  });

  it('accepts a rebalance recommendation, which carries no action', () => {
    const event = rebalanceRecommendation(INSTANCE);
    expect(parseEvent(event)).toEqual({ kind: 'rebalance', eventId: event.id, instanceId: INSTANCE, time: event.time, region: event.region });
  });

  it('classifies another EC2 event as other, not malformed', () => {
    const event = stateChangeNotification(INSTANCE);
    expect(parseEvent(event)).toEqual({
      kind: 'other',
      eventId: event.id,
      detailType: 'EC2 Instance State-change Notification',
    });
  });

  it.each([
    ['a string', 'hello', 'event is not an object'],
    ['null', null, 'event is not an object'],
    ['an array', [], 'event is not an object'],
    ['another source', { ...interruptionWarning(INSTANCE), source: 'my.app' }, 'source must be "aws.ec2", got "my.app"'],
    ['no detail-type', { ...interruptionWarning(INSTANCE), 'detail-type': undefined }, 'detail-type must be a non-empty string, got nothing'],
    ['no detail', { ...interruptionWarning(INSTANCE), detail: 'x' }, 'detail is not an object'],
    ['no instance id', interruptionWarning(''), 'detail.instance-id is not an EC2 instance id: ""'],
    ['an upper-case id', interruptionWarning('i-1234567890ABCDEF0'), 'detail.instance-id is not an EC2 instance id: "i-1234567890ABCDEF0"'],
    ['a non-instance id', interruptionWarning('vol-1234567890abcdef0'), 'detail.instance-id is not an EC2 instance id: "vol-1234567890abcdef0"'],
    ['an id of wrong length', interruptionWarning('i-123456789'), 'detail.instance-id is not an EC2 instance id: "i-123456789"'],
    ['an unknown action', interruptionWarning(INSTANCE, 'reboot'), 'detail.instance-action must be one of terminate, stop, hibernate, got "reboot"'],
  ])('rejects %s', (_name, event, reason) => {
    expect(parseEvent(event)).toMatchObject({ kind: 'malformed', reason });
  });

  it('keeps the event id of a malformed event for the log', () => {
    const event = interruptionWarning(INSTANCE, 'reboot');
    expect(parseEvent(event)).toMatchObject({ kind: 'malformed', eventId: event.id });
  });

  it('shortens a huge bad value in the reason', () => {
    const parsed = parseEvent(interruptionWarning(`i-${'a'.repeat(500)}`));
    expect(parsed.kind === 'malformed' && parsed.reason.length).toBeLessThan(150);
  });
});
