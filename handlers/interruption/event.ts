import { EC2_SOURCE, INTERRUPTION_WARNING, isSpotAction, REBALANCE_RECOMMENDATION, SPOT_ACTIONS, type SpotAction } from '../../common/ec2-events.js';

/** What an incoming event asks of the handler, decided without any I/O. */
export type ParsedEvent =
  | ({ readonly kind: 'interruption'; readonly eventId: string | undefined; readonly instanceId: string; readonly action: SpotAction } & EventOrigin)
  | ({ readonly kind: 'rebalance'; readonly eventId: string | undefined; readonly instanceId: string } & EventOrigin)
  | { readonly kind: 'other'; readonly eventId: string | undefined; readonly detailType: string }
  | { readonly kind: 'malformed'; readonly eventId: string | undefined; readonly reason: string };

/** When and where AWS raised the event, for the confirmation a person reads; absent when not well-formed. */
export interface EventOrigin {
  /** ISO 8601 UTC, as EventBridge writes `time`. */
  readonly time?: string;
  readonly region?: string;
}

const EVENT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

function originOf(event: Record<string, unknown>): EventOrigin {
  const time = typeof event.time === 'string' && EVENT_TIME.test(event.time) ? event.time : undefined;
  const region = typeof event.region === 'string' && REGION.test(event.region) ? event.region : undefined;
  return { ...(time === undefined ? {} : { time }), ...(region === undefined ? {} : { region }) };
}

// EC2 instance ids are `i-` followed by 8 (older) or 17 lowercase hex digits.
const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** Classifies an EventBridge event; never throws, so a malformed event cannot trigger EventBridge retries. */
export function parseEvent(event: unknown): ParsedEvent {
  if (!isRecord(event)) return { kind: 'malformed', eventId: undefined, reason: 'event is not an object' };
  // Every field that is echoed into a log line is bounded: EventBridge ids are UUIDs, detail types short.
  const eventId = typeof event.id === 'string' && event.id !== '' ? bounded(event.id) : undefined;
  const malformed = (reason: string): ParsedEvent => ({ kind: 'malformed', eventId, reason });

  if (event.source !== EC2_SOURCE) return malformed(`source must be "${EC2_SOURCE}", got ${describe(event.source)}`);
  const detailType = event['detail-type'];
  if (typeof detailType !== 'string' || detailType === '') {
    return malformed(`detail-type must be a non-empty string, got ${describe(detailType)}`);
  }
  if (detailType !== INTERRUPTION_WARNING && detailType !== REBALANCE_RECOMMENDATION) {
    return { kind: 'other', eventId, detailType: bounded(detailType) };
  }

  const detail = event.detail;
  if (!isRecord(detail)) return malformed('detail is not an object');
  const instanceId = detail['instance-id'];
  if (typeof instanceId !== 'string' || !INSTANCE_ID.test(instanceId)) {
    return malformed(`detail.instance-id is not an EC2 instance id: ${describe(instanceId)}`);
  }
  if (detailType === REBALANCE_RECOMMENDATION) return { kind: 'rebalance', eventId, instanceId, ...originOf(event) };

  const action = detail['instance-action'];
  if (!isSpotAction(action)) {
    return malformed(`detail.instance-action must be one of ${SPOT_ACTIONS.join(', ')}, got ${describe(action)}`);
  }
  return { kind: 'interruption', eventId, instanceId, action, ...originOf(event) };
}

/** A JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Longest text echoed from an event into a log line or an outcome. */
export const MAX_ECHOED_CHARS = 80;

/** `text`, cut to MAX_ECHOED_CHARS with an ellipsis, so no input can blow up a log line. */
export function bounded(text: string): string {
  return text.length > MAX_ECHOED_CHARS ? `${text.slice(0, MAX_ECHOED_CHARS - 3)}...` : text;
}

/** Quotes a bad value for a log line without echoing arbitrarily large input. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  // Strings are cut before quoting, so a megabyte is not serialized only to be thrown away.
  return bounded(typeof value === 'string' ? JSON.stringify(bounded(value)) : (JSON.stringify(value) ?? String(value)));
}
