import type { SpotAction } from '../../common/ec2-events.js';
import type { ClaimBasis } from './confirmations.js';
import { TARGET_GROUP_OUTCOMES } from './drain.js';
import { bounded, isRecord, parseEvent, type EventOrigin } from './event.js';

/**
 * What the drain confirmation function reads from the record Lambda sends it after each successful handler
 * invocation (an on-success destination). AWS documents the record in the Lambda developer guide, "Capturing records
 * of Lambda asynchronous invocations": `requestContext.condition` is `Success`, `requestPayload` is the event the
 * handler got (the EventBridge warning), `responsePayload` is what the handler returned (its Outcome, outcome.ts).
 *
 * - `confirm`: the handler acted on an interruption (or, when enabled, a rebalance recommendation); `basis` says
 *   whether this delivery found the instance leaving a target group after its DeregisterTargets (drain.ts) or found it
 *   gone and may only resume an earlier delivery's claim (confirmations.ts).
 * - `nothing`: a well-formed record with nothing to confirm (an ignored or rejected event).
 * - `malformed`: not a success record of this stack's handler (the confirmation function throws it, so it ends in
 *   the dead-letter queue whose alarm tells a person: between two functions deployed together it means their
 *   contract broke).
 */
export type ConfirmationRequest =
  | {
      readonly kind: 'confirm';
      readonly eventId: string | undefined;
      readonly instanceId: string;
      readonly action: SpotAction | 'rebalance';
      readonly origin: EventOrigin;
      readonly basis: ClaimBasis;
      /** Target group ARNs this delivery deregistered the instance from (empty for `resume`). */
      readonly deregisteredFrom: readonly string[];
    }
  | { readonly kind: 'nothing'; readonly eventId: string | undefined; readonly reason: string }
  | { readonly kind: 'malformed'; readonly eventId: string | undefined; readonly reason: string };

/**
 * `already-draining` is what the handler said before it called DeregisterTargets first: a record of an earlier
 * version's invocation (records live up to an hour; a stack update can come between) still resumes its claim.
 */
const LEGACY_OUTCOMES = ['already-draining'] as const;
const ACTED_ON: ReadonlySet<string> = new Set([...TARGET_GROUP_OUTCOMES, ...LEGACY_OUTCOMES]);

/**
 * Reads a destination record; never throws. `targetGroupArns` are the handler's own (its TARGET_GROUP_ARNS): a record
 * that names another target group is not the handler's. Fields echoed into log lines are bounded (event.ts).
 */
export function parseConfirmationRecord(record: unknown, targetGroupArns: readonly string[]): ConfirmationRequest {
  if (!isRecord(record)) return { kind: 'malformed', eventId: undefined, reason: 'the record is not a JSON object' };
  const condition = isRecord(record.requestContext) ? record.requestContext.condition : undefined;
  const event = parseEvent(record.requestPayload);
  const { eventId } = event;
  if (condition !== 'Success') {
    return { kind: 'malformed', eventId, reason: `not a success record (requestContext.condition: ${bounded(String(condition))})` };
  }
  const response = record.responsePayload;
  if (!isRecord(response) || typeof response.status !== 'string') {
    return { kind: 'malformed', eventId, reason: 'responsePayload is not the handler\'s outcome' };
  }
  if (!ACTED_ON.has(response.status)) return { kind: 'nothing', eventId, reason: `the handler's outcome is ${bounded(response.status)}` };
  if (event.kind !== 'interruption' && event.kind !== 'rebalance') {
    return { kind: 'malformed', eventId, reason: `requestPayload is not the warning the handler acted on (${event.kind})` };
  }
  if (response.instanceId !== event.instanceId) {
    return { kind: 'malformed', eventId, reason: 'responsePayload.instanceId does not match the event\'s instance' };
  }
  const groups = Array.isArray(response.targetGroups) ? response.targetGroups : undefined;
  const ours = new Set(targetGroupArns);
  if (groups === undefined || !groups.every((g) => isRecord(g) && typeof g.targetGroupArn === 'string' && ours.has(g.targetGroupArn))) {
    return { kind: 'malformed', eventId, reason: "responsePayload.targetGroups is not a list of results for the handler's target groups" };
  }
  return {
    kind: 'confirm',
    eventId,
    instanceId: event.instanceId,
    action: event.kind === 'interruption' ? event.action : 'rebalance',
    origin: { time: event.time, region: event.region },
    basis: response.status === 'deregistered' ? 'deregistered' : 'resume',
    deregisteredFrom: groups.filter((g) => g.outcome === 'deregistered').map((g) => g.targetGroupArn as string),
  };
}
