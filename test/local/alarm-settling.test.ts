import { describe, expect, it } from 'vitest';
import { alarmChangeLine } from '../../local/cloudwatch/alarm-change-line.js';
import { settlingSummary, StartUpSettling, type SettlingChange } from '../../local/cloudwatch/start-up-settling.js';

const NAMES = ['SpotWeb-LoadBalancer-Elb5xx-Critical', 'SpotWeb-DeadLetterQueue-Queue-Message-Count-Max-Critical', 'SpotWeb-Handler-Fault-Count-Critical'];
const deployed = (names = NAMES) => names.map((name) => ({ name, state: 'INSUFFICIENT_DATA' as const }));
const toOk = (alarmName: string, notifiesTopic = true): SettlingChange => ({ alarmName, oldState: 'INSUFFICIENT_DATA', newState: 'OK', notifiesTopic });
const okNotification = (alarmName: string) => ({ alarmName, oldState: 'INSUFFICIENT_DATA', newState: 'OK' });

describe('start-up settling of the alarms', () => {
  it('folds each first INSUFFICIENT_DATA → OK and its OK notification into one summary, due once every notification is in', () => {
    const s = new StartUpSettling(deployed());
    for (const name of NAMES) {
      expect(s.change(toOk(name))).toBe('fold');
      expect(s.summaryIfSettled()).toBeUndefined();
    }
    // Every alarm is OK, but the notifications are still on their way.
    expect(s.notification(okNotification(NAMES[0]!))).toBe('fold');
    expect(s.notification(okNotification(NAMES[1]!))).toBe('fold');
    expect(s.summaryIfSettled()).toBeUndefined();
    expect(s.notification(okNotification(NAMES[2]!))).toBe('fold');
    expect(s.summaryIfSettled()).toBe('  Alarms: 3 of 3 OK (each sent its OK notification to the topic)');
    // Once: and from then on everything is printed.
    expect(s.summaryIfSettled()).toBeUndefined();
    expect(s.done).toBe(true);
    expect(s.change({ alarmName: NAMES[0]!, oldState: 'OK', newState: 'ALARM', notifiesTopic: true })).toBe('print');
    expect(s.notification({ alarmName: NAMES[0]!, oldState: 'OK', newState: 'ALARM' })).toBe('print');
  });

  it('never folds an ALARM: a first state of ALARM is printed and counted as such', () => {
    const s = new StartUpSettling(deployed());
    expect(s.change(toOk(NAMES[0]!, false))).toBe('fold');
    expect(s.change({ alarmName: NAMES[1]!, oldState: 'INSUFFICIENT_DATA', newState: 'ALARM', notifiesTopic: true })).toBe('print');
    expect(s.notification({ alarmName: NAMES[1]!, oldState: 'INSUFFICIENT_DATA', newState: 'ALARM' })).toBe('print');
    expect(s.change(toOk(NAMES[2]!, false))).toBe('fold');
    expect(s.summaryIfSettled()).toBe('  Alarms: 2 of 3 OK, 1 ALARM (printed above)');
  });

  it('prints an alarm\'s second change even before the summary, and counts its state now', () => {
    const s = new StartUpSettling(deployed());
    expect(s.change(toOk(NAMES[0]!, false))).toBe('fold');
    expect(s.change({ alarmName: NAMES[0]!, oldState: 'OK', newState: 'ALARM', notifiesTopic: false })).toBe('print');
    expect(s.change({ alarmName: NAMES[0]!, oldState: 'ALARM', newState: 'OK', notifiesTopic: false })).toBe('print');
    // An OK notification not of a folded change (a second one, a plain message) is printed.
    expect(s.notification(okNotification(NAMES[1]!))).toBe('print');
    expect(s.summaryIfSettled()).toBeUndefined();
    expect(s.finish()).toBe('  Alarms: 1 of 3 OK, 2 INSUFFICIENT_DATA');
    expect(s.finish()).toBeUndefined();
  });

  it('does not wait for an alarm the local cloud cannot evaluate, and counts its state', () => {
    const s = new StartUpSettling([...deployed(NAMES.slice(0, 2)), { name: NAMES[2]!, state: 'INSUFFICIENT_DATA', evaluated: false }]);
    s.change(toOk(NAMES[0]!, false));
    s.change(toOk(NAMES[1]!, false));
    expect(s.summaryIfSettled()).toBe('  Alarms: 2 of 3 OK, 1 INSUFFICIENT_DATA');
  });

  it('at the deadline, says how many OK notifications reached the topic so far; a late one is still folded', () => {
    const s = new StartUpSettling(deployed());
    for (const name of NAMES) s.change(toOk(name));
    s.notification(okNotification(NAMES[0]!));
    expect(s.finish()).toBe('  Alarms: 3 of 3 OK (1 of 3 OK notifications reached the topic so far)');
    expect(s.notification(okNotification(NAMES[1]!))).toBe('fold');
    // The same notification twice is not the one awaited: printed.
    expect(s.notification(okNotification(NAMES[1]!))).toBe('print');
  });

  it('summary counts every state, with the words for one and for many', () => {
    expect(settlingSummary({ states: ['OK', 'OK', 'ALARM'], notificationsSent: 2, notificationsExpected: 2 })).toBe(
      '  Alarms: 2 of 3 OK, 1 ALARM (printed above); 2 OK notifications sent to the topic',
    );
    expect(settlingSummary({ states: ['OK', 'INSUFFICIENT_DATA'], notificationsSent: 1, notificationsExpected: 1 })).toBe(
      '  Alarms: 1 of 2 OK, 1 INSUFFICIENT_DATA (1 OK notification sent to the topic)',
    );
    expect(settlingSummary({ states: [], notificationsSent: 0, notificationsExpected: 0 })).toBe('  Alarms: none in the stack');
  });
});

describe('an alarm state change as one terminal line', () => {
  const reason =
    'Threshold Crossed: 1 out of the last 1 datapoints [1.0 (30/11/26 11:02:00)] was greater than the threshold (0.0) ' +
    '(minimum 1 datapoint for OK -> ALARM transition).';
  const change = { alarmName: 'SpotWeb-Handler-Fault-Count-Critical', oldState: 'OK', newState: 'ALARM', reason };

  it('is whole when not printed to a terminal', () => {
    expect(alarmChangeLine(change)).toBe(`  ALARM STATE SpotWeb-Handler-Fault-Count-Critical: OK → ALARM (${reason})`);
  });

  it.each([80, 120, 200])('fits %i columns, keeping the name, both states and the start of the reason', (columns) => {
    const line = alarmChangeLine(change, columns);
    expect(line.length).toBeLessThanOrEqual(columns);
    expect(line).toMatch(/^ {2}ALARM STATE SpotWeb-Handler-Fault-Count-Critical: OK → ALARM \(Threshold Cros/);
    expect(line.endsWith('…)')).toBe(true);
    // Cut only as much as it must: the line fills the terminal.
    expect(line.length).toBe(columns);
  });

  it('drops the label before the reason, and never cuts the name or the states', () => {
    const long = { ...change, alarmName: 'SpotWeb-Interruptions-FailedInvocations-WarningRule-Critical' };
    const line = alarmChangeLine(long, 100);
    expect(line).toMatch(/^ {2}SpotWeb-Interruptions-FailedInvocations-WarningRule-Critical: OK → ALARM \(Threshold Cross/);
    expect(line.length).toBeLessThanOrEqual(100);
    // Too narrow for even that: the name and states stay whole, with the reason's first words; wider than the terminal.
    const narrow = alarmChangeLine({ ...long, oldState: 'INSUFFICIENT_DATA' }, 60);
    expect(narrow).toBe('  SpotWeb-Interruptions-FailedInvocations-WarningRule-Critical: INSUFFICIENT_DATA → ALARM (Thresho…)');
    // The DLQ alarm at 80 columns (as seen in a terminal): no label, what room is left for the reason, and it fits.
    const dlq = alarmChangeLine({ ...change, alarmName: 'SpotWeb-DeadLetterQueue-Queue-Message-Count-Max-Critical' }, 80);
    expect(dlq).toBe('  SpotWeb-DeadLetterQueue-Queue-Message-Count-Max-Critical: OK → ALARM (Thresh…)');
    expect(dlq).toHaveLength(80);
  });

  it('strips control characters and folds a multi-line reason onto the one line', () => {
    const line = alarmChangeLine({ ...change, alarmName: 'x\u001b[2Jy', reason: 'a\nb\u0007c' }, 80);
    expect(line).toBe('  ALARM STATE x[2Jy: OK → ALARM (a bc)');
  });
});
