import { DescribeAlarmsCommand, SetAlarmStateCommand, type CloudWatchClient, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { alarmDefinition, evaluateAlarm, type AlarmDefinition, type AlarmState, type MetricQuery } from './alarm-evaluation.js';
import { alarmNotification, type AlarmChange } from './alarm-notification.js';
import type { MetricStore } from './metric-store.js';

export interface AlarmEngineProps {
  readonly cloudwatch: CloudWatchClient;
  readonly sns: SNSClient;
  /** The deployed alarms (physical names). */
  readonly alarmNames: readonly string[];
  readonly store: MetricStore;
  /** Simulated epoch ms. */
  readonly now: () => number;
  /** Real ms between evaluations: CloudWatch evaluates about once a minute, so one simulated minute. */
  readonly evaluateEveryMs: number;
  /** Called before each evaluation, so gauges are sampled first. */
  readonly beforeEvaluation?: () => Promise<void>;
  readonly region: string;
  readonly accountId: string;
  readonly onChange?: (change: AlarmChange) => void;
  readonly onError?: (error: Error) => void;
}

/** What `status` and DescribeAlarms show for one alarm. */
export interface AlarmStatus {
  readonly name: string;
  readonly state: AlarmState;
  readonly reason: string;
  /** ISO 8601 (simulated time) of the last state change. */
  readonly since: string;
  readonly description?: string;
}

interface Tracked {
  readonly raw: MetricAlarm;
  readonly definition?: AlarmDefinition;
  state: AlarmState;
  reason: string;
  since: number;
}

/**
 * CloudWatch's alarm evaluation for the local cloud: reads the deployed alarms back from moto (DescribeAlarms, so
 * what is evaluated is what was deployed), evaluates them once per simulated minute against the local metrics,
 * and on a state change does what CloudWatch does: records the state (SetAlarmState, so DescribeAlarms through
 * the local endpoint shows it) and publishes the notification to the new state's action topics.
 */
export class AlarmEngine {
  private readonly tracked = new Map<string, Tracked>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly props: AlarmEngineProps) {}

  /** Loads the alarms; alarms the local cloud cannot evaluate are returned with the reason (and kept as deployed). */
  async start(): Promise<Array<{ name: string; reason: string }>> {
    const unsupported: Array<{ name: string; reason: string }> = [];
    const names = [...this.props.alarmNames];
    for (let i = 0; i < names.length; i += 100) {
      const out = await this.props.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + 100), MaxRecords: 100 }));
      for (const raw of out.MetricAlarms ?? []) {
        let definition: AlarmDefinition | undefined;
        try {
          definition = alarmDefinition(raw);
        } catch (error) {
          unsupported.push({ name: raw.AlarmName ?? '', reason: (error as Error).message });
        }
        this.tracked.set(raw.AlarmName!, {
          raw,
          definition,
          state: (raw.StateValue as AlarmState | undefined) ?? 'INSUFFICIENT_DATA',
          reason: raw.StateReason ?? '',
          since: this.props.now(),
        });
      }
    }
    this.timer = setInterval(() => void this.evaluateNow(), this.props.evaluateEveryMs);
    this.timer.unref();
    return unsupported;
  }

  /** One evaluation round (also what the timer runs); rounds never overlap. */
  evaluateNow(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  statuses(): AlarmStatus[] {
    return [...this.tracked.values()].map((t) => ({
      name: t.raw.AlarmName!,
      state: t.state,
      reason: t.reason,
      since: new Date(t.since).toISOString(),
      ...(t.raw.AlarmDescription ? { description: t.raw.AlarmDescription } : {}),
    }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.props.beforeEvaluation?.();
      const now = this.props.now();
      const query: MetricQuery = (stat, start, end) => this.props.store.statistic(stat.metric, stat.stat, start, end);
      for (const tracked of this.tracked.values()) {
        if (!tracked.definition || this.stopped) continue;
        const result = evaluateAlarm(tracked.definition, query, now, tracked.state);
        if (result.state === tracked.state) continue;
        await this.transition(tracked, result.state, result.reason, now);
      }
    } catch (error) {
      this.props.onError?.(error as Error);
    }
  }

  private async transition(tracked: Tracked, state: AlarmState, reason: string, now: number): Promise<void> {
    const { raw } = tracked;
    const actions = raw.ActionsEnabled === false ? [] : ((state === 'ALARM' ? raw.AlarmActions : state === 'OK' ? raw.OKActions : raw.InsufficientDataActions) ?? []);
    const change: AlarmChange = {
      alarmName: raw.AlarmName!,
      alarmArn: raw.AlarmArn ?? `arn:aws:cloudwatch:${this.props.region}:${this.props.accountId}:alarm:${raw.AlarmName}`,
      description: raw.AlarmDescription,
      oldState: tracked.state,
      newState: state,
      reason,
      at: now,
      region: this.props.region,
      accountId: this.props.accountId,
      trigger: trigger(raw),
      actions,
    };
    await this.props.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: change.alarmName, StateValue: state, StateReason: reason.slice(0, 1023) }),
    );
    tracked.state = state;
    tracked.reason = reason;
    tracked.since = now;
    this.props.onChange?.(change);
    const { subject, message } = alarmNotification(change);
    for (const arn of actions) {
      // Only SNS actions exist in this stack; others (Auto Scaling, EC2 actions) are not played locally.
      if (!arn.startsWith('arn:aws:sns:') && !/^arn:[a-z-]+:sns:/.test(arn)) continue;
      await this.props.sns.send(new PublishCommand({ TopicArn: arn, Subject: subject, Message: message }));
    }
  }
}

/** The Trigger block of the notification: what the alarm watches and its threshold. */
function trigger(raw: MetricAlarm): Record<string, unknown> {
  return {
    ...(raw.MetricName ? { MetricName: raw.MetricName, Namespace: raw.Namespace, Statistic: raw.Statistic, Dimensions: raw.Dimensions } : {}),
    ...(raw.Metrics ? { Metrics: raw.Metrics } : {}),
    Period: raw.Period ?? raw.Metrics?.find((m) => m.MetricStat)?.MetricStat?.Period,
    EvaluationPeriods: raw.EvaluationPeriods,
    DatapointsToAlarm: raw.DatapointsToAlarm,
    ComparisonOperator: raw.ComparisonOperator,
    Threshold: raw.Threshold,
    TreatMissingData: raw.TreatMissingData,
  };
}
