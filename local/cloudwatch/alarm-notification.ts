/**
 * The SNS message CloudWatch publishes to an alarm's action topic on a state change: a JSON document with the
 * alarm's name, description, old and new state, reason, time and trigger, and the subject
 * `ALARM: "<name>" in <region name>` (CloudWatch user guide, "Using Amazon CloudWatch alarms" → notifications;
 * the fields are those of the JSON that alarm e-mails and SNS subscribers receive).
 */
import { printableLine } from '../printable.js';
import type { AlarmState } from './alarm-evaluation.js';

export interface AlarmChange {
  readonly alarmName: string;
  readonly alarmArn: string;
  readonly description?: string;
  readonly oldState: AlarmState;
  readonly newState: AlarmState;
  readonly reason: string;
  /** Simulated epoch ms. */
  readonly at: number;
  readonly region: string;
  readonly accountId: string;
  readonly trigger: Readonly<Record<string, unknown>>;
  /** The new state's actions CloudWatch runs for this change (AlarmActions, OKActions…); none with ActionsEnabled false. */
  readonly actions: readonly string[];
}

// The names CloudWatch writes in subjects and in the Region field; other regions are written by their code.
const REGION_NAMES: Readonly<Record<string, string>> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-central-1': 'EU (Frankfurt)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
};

export function regionName(region: string): string {
  return REGION_NAMES[region] ?? region;
}

/** SNS refuses subjects over 100 characters. */
const MAX_SUBJECT = 100;

export function alarmNotification(change: Omit<AlarmChange, 'actions'>): { readonly subject: string; readonly message: string } {
  const subject = `${change.newState}: "${change.alarmName}" in ${regionName(change.region)}`;
  const message = {
    AlarmName: change.alarmName,
    AlarmDescription: change.description ?? null,
    AWSAccountId: change.accountId,
    NewStateValue: change.newState,
    NewStateReason: change.reason,
    StateChangeTime: new Date(change.at).toISOString().replace('Z', '+0000'),
    Region: regionName(change.region),
    AlarmArn: change.alarmArn,
    OldStateValue: change.oldState,
    Trigger: change.trigger,
  };
  return { subject: subject.length > MAX_SUBJECT ? `${subject.slice(0, MAX_SUBJECT - 1)}…` : subject, message: JSON.stringify(message) };
}

/**
 * One terminal line for a notification: an alarm's JSON becomes `ALARM: "name" … — reason`; any other message is
 * shown as sent, on one line. Control characters are stripped (the text came from outside: `printableLine`).
 */
export function describeNotification(message: string, subject?: string): string {
  let text = message;
  try {
    const parsed = JSON.parse(message) as Record<string, unknown>;
    if (typeof parsed.AlarmName === 'string' && typeof parsed.NewStateValue === 'string') {
      text = `${subject ?? `${parsed.NewStateValue}: "${parsed.AlarmName}"`} — ${String(parsed.NewStateReason ?? '')}`;
    }
  } catch {
    // Plain text: shown as is.
  }
  return printableLine(text);
}

/**
 * The alarm and the states an alarm notification's message names (`AlarmName`, `OldStateValue`, `NewStateValue`);
 * undefined for any other message.
 */
export function alarmOfNotification(message: string): { readonly alarmName: string; readonly oldState: string; readonly newState: string } | undefined {
  try {
    const parsed = JSON.parse(message) as Record<string, unknown>;
    const { AlarmName: alarmName, OldStateValue: oldState, NewStateValue: newState } = parsed;
    if (typeof alarmName === 'string' && typeof oldState === 'string' && typeof newState === 'string') return { alarmName, oldState, newState };
  } catch {
    // Not JSON: not CloudWatch's.
  }
  return undefined;
}
