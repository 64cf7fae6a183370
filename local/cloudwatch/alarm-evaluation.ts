/**
 * How CloudWatch decides a metric alarm's state, played locally. Pure: datapoints come from a query function and
 * time from the caller (simulated epoch ms).
 *
 * From the CloudWatch user guide ("Alarm evaluation", "Configuring how CloudWatch alarms treat missing data"):
 * - the alarm looks at the most recent EvaluationPeriods periods, period boundaries aligned to the period;
 * - it goes to ALARM when at least DatapointsToAlarm of them breach the threshold (default: all of them), else OK;
 * - a period without data is, by TreatMissingData: `missing` (default) left out, and with all of them missing the
 *   alarm goes to INSUFFICIENT_DATA; `notBreaching` good; `breaching` bad; `ignore` the state does not change;
 * - a metric-math alarm evaluates the one query with ReturnData true, from the queries it names.
 * Simplifications, said where they matter: CloudWatch may look further back than the evaluation range for a
 * `missing` alarm, and evaluates an alarm about once a minute; the engine evaluates once per simulated minute.
 */
import { evaluateExpression, type ExpressionValues } from './metric-math.js';
import { STATISTICS, type MetricId, type Statistic } from './metric-store.js';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export type ComparisonOperator =
  | 'GreaterThanOrEqualToThreshold'
  | 'GreaterThanThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

/** A metric query: one metric's statistic per period. */
export interface MetricStat {
  readonly metric: MetricId;
  readonly stat: Statistic;
  /** Seconds. */
  readonly period: number;
}

/** The parts of a metric alarm (DescribeAlarms' MetricAlarm) that decide its state. */
export interface AlarmDefinition {
  readonly name: string;
  /** Seconds. */
  readonly period: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  readonly treatMissingData: 'missing' | 'notBreaching' | 'breaching' | 'ignore';
  /** The value the alarm watches: a metric, or an expression over named metrics. */
  readonly source:
    | { readonly kind: 'metric'; readonly stat: MetricStat }
    | { readonly kind: 'expression'; readonly expression: string; readonly metrics: Readonly<Record<string, MetricStat>> };
}

export interface Evaluation {
  readonly state: AlarmState;
  readonly reason: string;
  /** Newest first, one per period of the evaluation range; undefined = no data. */
  readonly datapoints: ReadonlyArray<{ readonly periodStart: number; readonly value: number | undefined }>;
}

export type MetricQuery = (stat: MetricStat, start: number, end: number) => number | undefined;

export class UnsupportedAlarmError extends Error {
  constructor(alarm: string, what: string) {
    super(`alarm ${alarm}: ${what} is not evaluated by the local cloud`);
    this.name = 'UnsupportedAlarmError';
  }
}

/** The value of one period of the alarm's source. */
function periodValue(alarm: AlarmDefinition, query: MetricQuery, start: number, end: number): number | undefined {
  if (alarm.source.kind === 'metric') return query(alarm.source.stat, start, end);
  const values: ExpressionValues = {};
  for (const [id, stat] of Object.entries(alarm.source.metrics)) values[id] = query(stat, start, end);
  return evaluateExpression(alarm.source.expression, values);
}

export function breaches(alarm: Pick<AlarmDefinition, 'comparisonOperator' | 'threshold'>, value: number): boolean {
  switch (alarm.comparisonOperator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= alarm.threshold;
    case 'GreaterThanThreshold':
      return value > alarm.threshold;
    case 'LessThanThreshold':
      return value < alarm.threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= alarm.threshold;
  }
}

const OPERATOR_WORDS: Record<ComparisonOperator, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

/** Decides the alarm's state at `now` (simulated epoch ms) from the last complete periods. */
export function evaluateAlarm(alarm: AlarmDefinition, query: MetricQuery, now: number, current: AlarmState): Evaluation {
  const periodMs = alarm.period * 1000;
  const lastEnd = Math.floor(now / periodMs) * periodMs;
  const datapoints = Array.from({ length: alarm.evaluationPeriods }, (_, i) => {
    const end = lastEnd - i * periodMs;
    return { periodStart: end - periodMs, value: periodValue(alarm, query, end - periodMs, end) };
  });
  const present = datapoints.filter((d): d is { periodStart: number; value: number } => d.value !== undefined);
  const missing = datapoints.length - present.length;
  const breaching = present.filter((d) => breaches(alarm, d.value)).length;
  const needed = alarm.datapointsToAlarm;

  const treat = alarm.treatMissingData;
  const badCount = breaching + (treat === 'breaching' ? missing : 0);
  const shown = present.map((d) => `${round(d.value)} (${stamp(d.periodStart)})`).join(', ');
  const words = OPERATOR_WORDS[alarm.comparisonOperator];

  if (present.length === 0 && (treat === 'missing' || treat === 'ignore')) {
    if (treat === 'ignore') return { state: current, reason: 'No datapoints: state kept (treat missing data: ignore)', datapoints };
    return { state: 'INSUFFICIENT_DATA', reason: `Insufficient Data: ${datapoints.length} datapoint(s) were unknown.`, datapoints };
  }
  if (badCount >= needed) {
    const missingNote = treat === 'breaching' && missing > 0 ? ` and ${missing} missing datapoint(s) treated as breaching` : '';
    return {
      state: 'ALARM',
      reason:
        `Threshold Crossed: ${breaching} out of the last ${datapoints.length} datapoints [${shown}] ${breaching === 1 ? 'was' : 'were'} ` +
        `${words} the threshold (${round(alarm.threshold)})${missingNote} (minimum ${needed} datapoint(s) for OK -> ALARM transition).`,
      datapoints,
    };
  }
  if (treat === 'ignore' && missing > 0) return { state: current, reason: 'Missing datapoints: state kept (treat missing data: ignore)', datapoints };
  return {
    state: 'OK',
    reason:
      `Threshold Crossed: ${present.length - breaching} out of the last ${datapoints.length} datapoints [${shown || 'none'}] ` +
      `${present.length - breaching === 1 ? 'was' : 'were'} not ${words} the threshold (${round(alarm.threshold)}) ` +
      `(minimum ${needed} datapoint(s) for ALARM -> OK transition).`,
    datapoints,
  };
}

/** DescribeAlarms' MetricAlarm (SDK shape) → what evaluation needs; throws UnsupportedAlarmError for the rest. */
export function alarmDefinition(raw: {
  AlarmName?: string;
  Period?: number;
  EvaluationPeriods?: number;
  DatapointsToAlarm?: number;
  Threshold?: number;
  ComparisonOperator?: string;
  TreatMissingData?: string;
  Namespace?: string;
  MetricName?: string;
  Statistic?: string;
  Dimensions?: Array<{ Name?: string; Value?: string }>;
  Metrics?: Array<{
    Id?: string;
    Expression?: string;
    ReturnData?: boolean;
    Period?: number;
    MetricStat?: { Metric?: { Namespace?: string; MetricName?: string; Dimensions?: Array<{ Name?: string; Value?: string }> }; Stat?: string; Period?: number };
  }>;
}): AlarmDefinition {
  const name = raw.AlarmName ?? '(unnamed)';
  const comparisonOperator = raw.ComparisonOperator as ComparisonOperator;
  if (!(comparisonOperator in OPERATOR_WORDS)) throw new UnsupportedAlarmError(name, `comparison ${raw.ComparisonOperator} (anomaly detection)`);
  const toStat = (ns: string | undefined, metricName: string | undefined, dims: Array<{ Name?: string; Value?: string }> | undefined, stat: string | undefined, period: number | undefined): MetricStat => {
    if (!(STATISTICS as readonly string[]).includes(stat ?? '')) throw new UnsupportedAlarmError(name, `statistic ${stat}`);
    return {
      metric: {
        namespace: ns ?? '',
        metricName: metricName ?? '',
        dimensions: Object.fromEntries((dims ?? []).map((d) => [d.Name ?? '', d.Value ?? ''])),
      },
      stat: stat as Statistic,
      period: period ?? 60,
    };
  };
  let source: AlarmDefinition['source'];
  let period = raw.Period;
  if (raw.Metrics && raw.Metrics.length > 0) {
    const returned = raw.Metrics.filter((m) => m.ReturnData !== false);
    if (returned.length !== 1) throw new UnsupportedAlarmError(name, `${returned.length} queries returning data`);
    const main = returned[0]!;
    if (main.MetricStat) {
      const s = main.MetricStat;
      source = { kind: 'metric', stat: toStat(s.Metric?.Namespace, s.Metric?.MetricName, s.Metric?.Dimensions, s.Stat, s.Period) };
      period ??= s.Period;
    } else {
      const metrics: Record<string, MetricStat> = {};
      for (const m of raw.Metrics) {
        if (m === main) continue;
        if (!m.MetricStat || !m.Id) throw new UnsupportedAlarmError(name, 'a nested expression');
        const s = m.MetricStat;
        metrics[m.Id] = toStat(s.Metric?.Namespace, s.Metric?.MetricName, s.Metric?.Dimensions, s.Stat, s.Period);
        period ??= s.Period;
      }
      source = { kind: 'expression', expression: main.Expression ?? '', metrics };
      evaluateExpression(source.expression, Object.fromEntries(Object.keys(metrics).map((id) => [id, 0])));
      period ??= main.Period;
    }
  } else {
    source = { kind: 'metric', stat: toStat(raw.Namespace, raw.MetricName, raw.Dimensions, raw.Statistic, raw.Period) };
  }
  const evaluationPeriods = raw.EvaluationPeriods ?? 1;
  const treat = raw.TreatMissingData ?? 'missing';
  return {
    name,
    period: period ?? 60,
    evaluationPeriods,
    datapointsToAlarm: raw.DatapointsToAlarm ?? evaluationPeriods,
    threshold: raw.Threshold ?? 0,
    comparisonOperator,
    treatMissingData: (['missing', 'notBreaching', 'breaching', 'ignore'].includes(treat) ? treat : 'missing') as AlarmDefinition['treatMissingData'],
    source,
  };
}

function round(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

/** CloudWatch writes datapoint times in reasons as dd/MM/yy HH:mm:ss. */
function stamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}
