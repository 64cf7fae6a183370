/** Events the app reports, one JSON line each on stdout (the journal on EC2, the local cloud's log locally). */
export type AppEvent =
  | 'started'
  | 'identity'
  | 'imds-error'
  | 'spot-interruption-notice'
  | 'rebalance-recommendation'
  | 'draining'
  | 'stopped'
  | 'fatal';

export type LogSink = (line: string) => void;

export function formatEvent(event: AppEvent, fields: Readonly<Record<string, unknown>>, at: Date): string {
  // The line's own time and event win over same-named fields, and keep their place at the front.
  const line: Record<string, unknown> = { time: '', event: '', ...fields };
  line.time = at.toISOString();
  line.event = event;
  return JSON.stringify(line);
}

export function createEventLog(sink: LogSink, now: () => Date = () => new Date()) {
  return (event: AppEvent, fields: Readonly<Record<string, unknown>> = {}): void => sink(formatEvent(event, fields, now()));
}

export type EventLog = ReturnType<typeof createEventLog>;
