import type { TargetGroupOutcome, TargetGroupResult } from './drain.js';
import type { SpotAction } from '../../common/ec2-events.js';

/**
 * `ignored`: an event type the handler does not act on (or a rebalance recommendation while draining on
 * rebalance is off). `rejected`: a malformed event; it is not retried, since retrying cannot fix it.
 */
export type OutcomeStatus = TargetGroupOutcome | 'ignored' | 'rejected';

/**
 * What became of the drain confirmation, for an interruption acted on when a topic is configured: `published` by
 * this delivery; `sent-earlier` or `sending-elsewhere` by another delivery of ours; `not-drained-by-handler` when no
 * delivery of ours drained the instance (a foreign one, or drained by someone else) (handlers/interruption/confirmations.ts).
 */
export type ConfirmationOutcome = 'published' | 'sent-earlier' | 'sending-elsewhere' | 'not-drained-by-handler';

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
  readonly confirmation?: ConfirmationOutcome;
}
