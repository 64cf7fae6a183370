/**
 * What the terminal shows of the alarms right after `npm start`. A stack just deployed has every alarm in
 * INSUFFICIENT_DATA (PutMetricAlarm's initial state), and CloudWatch's first evaluation moves each one that has data
 * to OK, running its OK actions: here a notification to the topic per alarm ("Using Amazon CloudWatch alarms" →
 * "Alarm states"; OKActions run on any transition to OK). That settling says nothing a person must act on, and
 * printed one line per alarm and per notification it pushes the banner off an 80×24 terminal; so it is counted and
 * said in one line. What is not settling is printed as it happens: an alarm whose first state is ALARM, any second
 * change of an alarm, and every change once the summary is out. Pure: no clock, no I/O.
 */
import type { AlarmState } from './alarm-evaluation.js';

/** An alarm as the settling starts: its name and the state the local cloud read back from moto. */
export interface SettlingAlarm {
  readonly name: string;
  readonly state: AlarmState;
  /** False for an alarm the local cloud cannot evaluate: it keeps its deployed state, so it is not waited for. @default true */
  readonly evaluated?: boolean;
}

/** An alarm's state change, as the alarm engine reports it. */
export interface SettlingChange {
  readonly alarmName: string;
  readonly oldState: AlarmState;
  readonly newState: AlarmState;
  /** Whether CloudWatch notifies the watched topic of this change (the new state's actions include it). */
  readonly notifiesTopic: boolean;
}

/** An alarm's notification as the topic's subscriber received it (the message's AlarmName, OldStateValue, NewStateValue). */
export interface SettlingNotification {
  readonly alarmName: string;
  readonly oldState: string;
  readonly newState: string;
}

/** `fold`: counted in the summary, not printed; `print`: printed on its own line now. */
export type SettlingVerdict = 'fold' | 'print';

interface Folded {
  /** The OK notification this fold waits for; false once it arrived (or when none is sent to the topic). */
  awaitingNotification: boolean;
  notified: boolean;
}

/**
 * The start-up settling of a stack's alarms: decides, change by change and notification by notification, what is
 * folded into the summary and what is printed, and says when the summary is due: once every evaluated alarm has
 * left INSUFFICIENT_DATA and the OK notification of each folded change has arrived (`summaryIfSettled`), or when the
 * caller's deadline passes (`finish`). Only an alarm's first change, INSUFFICIENT_DATA → OK, is folded.
 */
export class StartUpSettling {
  private readonly states = new Map<string, AlarmState>();
  private readonly waitedFor = new Set<string>();
  private readonly changed = new Set<string>();
  private readonly folded = new Map<string, Folded>();
  private over = false;

  constructor(alarms: readonly SettlingAlarm[]) {
    for (const a of alarms) {
      this.states.set(a.name, a.state);
      if (a.evaluated !== false) this.waitedFor.add(a.name);
    }
  }

  /** True once the summary was given: from then on everything is printed. */
  get done(): boolean {
    return this.over;
  }

  change(change: SettlingChange): SettlingVerdict {
    const first = !this.changed.has(change.alarmName);
    this.changed.add(change.alarmName);
    this.states.set(change.alarmName, change.newState);
    if (this.over || !first || change.oldState !== 'INSUFFICIENT_DATA' || change.newState !== 'OK') return 'print';
    this.folded.set(change.alarmName, { awaitingNotification: change.notifiesTopic, notified: false });
    return 'fold';
  }

  /** A notification of a folded change is folded with it, even after the summary (it was counted as awaited there). */
  notification(n: SettlingNotification): SettlingVerdict {
    const folded = this.folded.get(n.alarmName);
    if (!folded || folded.notified || n.oldState !== 'INSUFFICIENT_DATA' || n.newState !== 'OK') return 'print';
    folded.notified = true;
    folded.awaitingNotification = false;
    return 'fold';
  }

  /** The summary line once the settling is over, exactly once; undefined while it is not (or after it was given). */
  summaryIfSettled(): string | undefined {
    if (this.over) return undefined;
    const unsettled = [...this.waitedFor].some((name) => this.states.get(name) === 'INSUFFICIENT_DATA');
    const awaiting = [...this.folded.values()].some((f) => f.awaitingNotification);
    return unsettled || awaiting ? undefined : this.finish();
  }

  /** The summary of the states as they are now (the deadline passed), exactly once; undefined if it was given. */
  finish(): string | undefined {
    if (this.over) return undefined;
    this.over = true;
    const folded = [...this.folded.values()];
    return settlingSummary({
      states: [...this.states.values()],
      notificationsSent: folded.filter((f) => f.notified).length,
      notificationsExpected: folded.filter((f) => f.notified || f.awaitingNotification).length,
    });
  }
}

export interface SettlingCounts {
  /** Every alarm's state now. */
  readonly states: readonly AlarmState[];
  /** OK notifications of folded changes that reached the topic's subscriber. */
  readonly notificationsSent: number;
  /** OK notifications CloudWatch sends the topic for the folded changes. */
  readonly notificationsExpected: number;
}

const STATE_ORDER: readonly AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

/**
 * One short line: `  Alarms: 9 of 9 OK (each sent its OK notification to the topic)`, or with the other states
 * counted: `  Alarms: 7 of 9 OK, 1 ALARM (printed above), 1 INSUFFICIENT_DATA; 2 of 7 OK notifications reached the
 * topic so far`.
 */
export function settlingSummary(counts: SettlingCounts): string {
  const total = counts.states.length;
  if (total === 0) return '  Alarms: none in the stack';
  const count = (state: AlarmState): number => counts.states.filter((s) => s === state).length;
  const ok = count('OK');
  const parts = [`${ok} of ${total} OK`];
  for (const state of STATE_ORDER.slice(1)) {
    const n = count(state);
    if (n > 0) parts.push(`${n} ${state}${state === 'ALARM' ? ' (printed above)' : ''}`);
  }
  const { notificationsSent: sent, notificationsExpected: expected } = counts;
  let note: string | undefined;
  if (expected > 0 && sent === expected) {
    note = sent === ok && ok === total ? 'each sent its OK notification to the topic' : `${sent} OK notification${sent === 1 ? '' : 's'} sent to the topic`;
  } else if (expected > 0) {
    note = `${sent} of ${expected} OK notifications reached the topic so far`;
  }
  const text = `  Alarms: ${parts.join(', ')}`;
  if (note === undefined) return text;
  return text.endsWith(')') ? `${text}; ${note}` : `${text} (${note})`;
}
