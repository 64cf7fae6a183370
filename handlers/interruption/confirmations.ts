import { ConditionalCheckFailedException, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Who sends the drain confirmation for an instance: one conditional write per instance decides it, so the
 * confirmation goes out once however many times (and however concurrently) the event is delivered, and is not
 * lost when the publish fails. The drain confirmation function (confirmation-handler.ts) takes it, once per record
 * of a handler invocation ("a delivery" below: one delivery of the warning, handled, then confirmed).
 *
 * Why not target health alone (the previous dedupe): every delivery of one event finds the target draining after its
 * own DeregisterTargets (ELB API reference, DeregisterTargets: "If the specified target does not exist, the action
 * returns successfully"; drain.ts), however many came and in whatever order, so every one would confirm.
 *
 * Why not Powertools' idempotency utility: it makes a concurrent duplicate throw IdempotencyAlreadyInProgressError,
 * a function error that Lambda retries a minute later and that trips the handler's Errors alarm, for a duplicate
 * that has nothing left to do; and on a failure it deletes its record, so a retry that comes after the deregistration
 * delay (and finds the instance gone) could not know that this handler drained it. The record below survives a failed
 * publish as `released`, which is exactly what the retry needs.
 *
 * One item per instance id, no sort key: the fleet's instances are terminated on interruption
 * (`instanceInterruptionBehavior: 'terminate'`, infra/spot-fleet.ts) and EC2 never reuses an instance id, so an
 * instance is drained once; a rebalance recommendation followed by the interruption warning is one drain and gets
 * one confirmation. Item states:
 * - `sending`: a delivery holds the claim and is publishing, until `leaseExpiresAt` (its function's deadline);
 * - `released`: the publish failed; the next invocation (Lambda's retry of the record) takes the claim and publishes;
 * - `sent`: done; every later delivery leaves it.
 */
export type ClaimState = 'sending' | 'released' | 'sent';

/**
 * What makes a delivery eligible to confirm: `deregistered`, its handler's DeregisterTargets left the instance
 * draining (drain.ts: this delivery's call, or a duplicate's or someone else's a moment earlier, which the handler
 * cannot tell apart); `resume`, its handler found the instance gone from the target groups (a Lambda retry after the
 * deregistration delay, when ELB no longer lists the target: ELB user guide, "Deregistration delay"), which only
 * counts when an earlier delivery of ours drained it and left its claim `released` (or died holding it). For an
 * instance no delivery of ours drained there is no record, and the claim is refused.
 */
export type ClaimBasis = 'deregistered' | 'resume';

export interface ClaimRequest {
  readonly instanceId: string;
  readonly basis: ClaimBasis;
  /** Unique per invocation: only the holder marks the claim sent or releases it. */
  readonly owner: string;
  /** The claim is the holder's until then (epoch ms): its function's deadline. */
  readonly leaseExpiresAt: number;
  /** Target group ARNs this delivery deregistered the instance from (empty for `resume`). */
  readonly targetGroupArns: readonly string[];
  readonly eventId?: string;
  /** Epoch ms. @default Date.now() */
  readonly now?: number;
}

export type ClaimResult =
  /** This delivery holds the claim and publishes; the target groups every delivery of ours deregistered. */
  | { readonly claimed: true; readonly targetGroupArns: readonly string[] }
  /** Another delivery sent it or is sending it; or (no state) nothing of ours drained the instance. */
  | { readonly claimed: false; readonly state: ClaimState | undefined };

/**
 * How long a record is kept (DynamoDB TTL): well past the last record that could still claim. The instance is
 * terminated two minutes after the warning; the handler's events live 2 minutes and the confirmation's records an
 * hour (their maxEventAge, infra/interruption-handler.ts); the target drains for at most the deregistration delay
 * (≤ 3600 s). TTL deletion itself runs within a few days of expiry (DynamoDB developer guide, "Time to Live"), which
 * does not matter here.
 */
export const CLAIM_RETENTION_SECONDS = 24 * 60 * 60;

/** The table's key and TTL attribute names, shared with the stack (infra/drain-confirmations.ts). */
export const CLAIM_TABLE_KEY = 'instanceId';
export const CLAIM_TABLE_TTL = 'expiresAt';

/** The ConditionExpression that lets `basis` take the claim: pure, so the state machine is tested on its own. */
export function claimCondition(basis: ClaimBasis): string {
  const takeable = '(#state = :released OR (#state = :sending AND #lease < :now))';
  return basis === 'deregistered' ? `attribute_not_exists(#pk) OR ${takeable}` : `attribute_exists(#pk) AND ${takeable}`;
}

/** The UpdateItem input that takes the claim. */
export function claimInput(tableName: string, request: ClaimRequest) {
  const now = request.now ?? Date.now();
  return {
    TableName: tableName,
    Key: { [CLAIM_TABLE_KEY]: { S: request.instanceId } },
    UpdateExpression:
      'SET #state = :sending, #owner = :owner, #lease = :lease, #ttl = :ttl, #event = :event, ' +
      '#groups = list_append(if_not_exists(#groups, :none), :groups)',
    ConditionExpression: claimCondition(request.basis),
    ExpressionAttributeNames: {
      '#pk': CLAIM_TABLE_KEY,
      '#state': 'state',
      '#owner': 'owner',
      '#lease': 'leaseExpiresAt',
      '#ttl': CLAIM_TABLE_TTL,
      '#event': 'eventId',
      '#groups': 'targetGroupArns',
    },
    ExpressionAttributeValues: {
      ':sending': { S: 'sending' },
      ':released': { S: 'released' },
      ':owner': { S: request.owner },
      ':lease': { N: String(request.leaseExpiresAt) },
      ':now': { N: String(now) },
      ':ttl': { N: String(Math.floor(now / 1000) + CLAIM_RETENTION_SECONDS) },
      ':event': { S: request.eventId ?? '' },
      ':none': { L: [] },
      ':groups': { L: request.targetGroupArns.map((arn) => ({ S: arn })) },
    },
    ReturnValues: 'ALL_NEW' as const,
    // Why a claim was refused (sent, sending, or no record at all), for the log line, at no extra request.
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
}

/** The claim store: thin I/O around three conditional UpdateItem calls. */
export interface DrainConfirmations {
  claim(request: ClaimRequest, abortSignal?: AbortSignal): Promise<ClaimResult>;
  /** The holder published: later deliveries leave the instance alone. */
  markSent(instanceId: string, owner: string, abortSignal?: AbortSignal): Promise<void>;
  /** The holder's publish failed: the next invocation (Lambda's retry of the record) may claim again. */
  release(instanceId: string, owner: string, abortSignal?: AbortSignal): Promise<void>;
}

/**
 * The store on a DynamoDB table keyed by `instanceId`. `client` is called on first use: the confirmation function
 * needs DynamoDB only for a record of a drain, so a container that only sees ignored events never builds the client.
 */
export function dynamoDbConfirmations(tableName: string, client: () => DynamoDBClient): DrainConfirmations {
  const byHolder = (instanceId: string, owner: string, set: ClaimState) => ({
    TableName: tableName,
    Key: { [CLAIM_TABLE_KEY]: { S: instanceId } },
    UpdateExpression: 'SET #state = :set REMOVE #lease',
    ConditionExpression: '#owner = :owner AND #state = :sending',
    ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner', '#lease': 'leaseExpiresAt' },
    ExpressionAttributeValues: { ':set': { S: set }, ':owner': { S: owner }, ':sending': { S: 'sending' } },
  });
  const asHolder = async (input: ReturnType<typeof byHolder>, abortSignal?: AbortSignal) => {
    try {
      await client().send(new UpdateItemCommand(input), { abortSignal });
    } catch (error) {
      // The lease ran out and another delivery took the claim over: it is that delivery's now.
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
  };
  return {
    async claim(request, abortSignal) {
      try {
        const out = await client().send(new UpdateItemCommand(claimInput(tableName, request)), { abortSignal });
        return { claimed: true, targetGroupArns: [...new Set(stringList(out.Attributes?.targetGroupArns))] };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          // Our own earlier attempt of this very claim landed and only its answer was lost (an SDK or budget retry
          // after a timeout): the claim is ours, not another delivery's.
          if (error.Item?.owner?.S === request.owner && claimStateOf(error.Item?.state) === 'sending') {
            return { claimed: true, targetGroupArns: [...new Set(stringList(error.Item?.targetGroupArns))] };
          }
          return { claimed: false, state: claimStateOf(error.Item?.state) };
        }
        throw error;
      }
    },
    markSent: (instanceId, owner, abortSignal) => asHolder(byHolder(instanceId, owner, 'sent'), abortSignal),
    release: (instanceId, owner, abortSignal) => asHolder(byHolder(instanceId, owner, 'released'), abortSignal),
  };
}

function stringList(value: AttributeValue | undefined): string[] {
  return (value?.L ?? []).flatMap((v) => (v.S === undefined ? [] : [v.S]));
}

function claimStateOf(value: AttributeValue | undefined): ClaimState | undefined {
  const state = value?.S;
  return state === 'sending' || state === 'released' || state === 'sent' ? state : undefined;
}
