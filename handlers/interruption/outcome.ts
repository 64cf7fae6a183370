import type { TargetGroupOutcome, TargetGroupResult } from './drain.js';
import type { SpotAction } from '../../common/ec2-events.js';

/**
 * `ignored`: an event type the handler does not act on (or a rebalance recommendation while draining on
 * rebalance is off). `rejected`: a malformed event; it is not retried, since retrying cannot fix it.
 */
export type OutcomeStatus = TargetGroupOutcome | 'ignored' | 'rejected';

/**
 * What the handler did with one event: its log line and its response, which Lambda hands to the drain confirmation
 * function in the on-success invocation record (`responsePayload`; confirmation-record.ts reads it back).
 */
export interface Outcome {
  readonly status: OutcomeStatus;
  readonly eventId: string | undefined;
  readonly instanceId?: string;
  readonly action?: SpotAction | 'rebalance';
  /** Per target group, for events that were acted on; empty otherwise. */
  readonly targetGroups: readonly TargetGroupResult[];
  /** Why an event was ignored or rejected. */
  readonly reason?: string;
  readonly elapsedMs: number;
  /** Attempts the handler made inside this invocation, when it needed more than one. */
  readonly attempts?: number;
}
