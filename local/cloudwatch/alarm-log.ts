/**
 * What `npm start`'s terminal shows of the alarms: the start-up settling in one line (StartUpSettling), every
 * other state change on one line cut to the terminal (alarmChangeLine), and the topic's notifications. Thin: the
 * decisions are the pure modules'; this holds the deadline timer and prints.
 */
import type { SimulatedClock } from '../clock.js';
import { notificationLine, type TopicNotification } from '../notifications.js';
import type { AlarmStatus } from './alarm-engine.js';
import { alarmChangeLine } from './alarm-change-line.js';
import { alarmOfNotification, type AlarmChange } from './alarm-notification.js';
import { StartUpSettling } from './start-up-settling.js';

/**
 * Evaluation rounds (simulated minutes) the summary waits at most for every alarm to leave INSUFFICIENT_DATA; an
 * alarm without data that long is counted as INSUFFICIENT_DATA, and its later change printed. Half a minute more, so
 * the third round has run.
 */
const SETTLING_DEADLINE_MS = 3.5 * 60_000;

export interface AlarmLogProps {
  readonly log: (line: string) => void;
  /** The terminal's width, read at each line; undefined when `log` is not a terminal (lines stay whole). */
  readonly columns: () => number | undefined;
  readonly clock: SimulatedClock;
  /** The topic whose subscriber's notifications `notification` receives. */
  readonly topicArn: string;
}

export class AlarmLog {
  private settling?: StartUpSettling;
  private deadline?: NodeJS.Timeout;

  constructor(private readonly props: AlarmLogProps) {}

  /** The alarms as deployed (`unevaluated`: those the local cloud cannot evaluate); folding starts here. */
  start(alarms: readonly AlarmStatus[], unevaluated: readonly string[]): void {
    this.settling = new StartUpSettling(alarms.map((a) => ({ name: a.name, state: a.state, evaluated: !unevaluated.includes(a.name) })));
    this.deadline = setTimeout(() => this.summarize(this.settling?.finish()), this.props.clock.toReal(SETTLING_DEADLINE_MS));
    this.deadline.unref();
  }

  change(change: AlarmChange): void {
    const verdict = this.settling?.change({ ...change, notifiesTopic: change.actions.includes(this.props.topicArn) }) ?? 'print';
    if (verdict === 'print') this.props.log(alarmChangeLine(change, this.props.columns()));
    this.summarize(this.settling?.summaryIfSettled());
  }

  notification(n: TopicNotification): void {
    const alarm = alarmOfNotification(n.message);
    const verdict = alarm && this.settling ? this.settling.notification(alarm) : 'print';
    if (verdict === 'print') this.props.log(notificationLine(n, this.props.clock, this.props.columns()));
    this.summarize(this.settling?.summaryIfSettled());
  }

  close(): void {
    clearTimeout(this.deadline);
  }

  private summarize(summary: string | undefined): void {
    if (summary === undefined) return;
    clearTimeout(this.deadline);
    this.props.log(summary);
  }
}
