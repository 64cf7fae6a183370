import { ElasticLoadBalancingV2Client, type ElasticLoadBalancingV2ClientConfig } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';

/**
 * The SDK's own retries stay short: two attempts per call, for the quick transient failure. Longer trouble (an ELB
 * API throttling or failing for tens of seconds) is ridden out by the handler's retry loop (retry-budget.ts), which
 * knows the function's remaining time and aborts the call under way at its deadline. Standard mode rather than
 * adaptive: adaptive's client-side rate limiter pays off for a client sending many requests, and a container sends
 * a handful per event.
 */
export const RETRY_SETTINGS = { maxAttempts: 2, retryMode: 'standard' } as const;

/**
 * Per request: a hung connection fails over to the next attempt within seconds. One call at worst: 2 attempts ×
 * (1 s connect + 3 s answer) + the SDK's backoff ≈ 9 s. The handler makes two ELB calls per target group (18 s for
 * the stack's one); the drain confirmation up to three DynamoDB UpdateItem calls (claim, then mark sent or release)
 * around one SNS Publish, about 36 s if every one hung to its last attempt. Each function's own retries stop at its
 * remaining time (retry-budget.ts), so a hung endpoint ends in a clean, logged error rather than a Lambda timeout
 * (it was 5 × 13 s per call against a 30 s timeout before).
 */
export const HTTP_TIMEOUTS = { connectionTimeout: 1_000, requestTimeout: 3_000 } as const;

// Region, credentials and endpoint (AWS_ENDPOINT_URL, used to point at moto) come from the SDK's own
// environment lookup; overrides exist for tests.
export function createElbv2Client(overrides: ElasticLoadBalancingV2ClientConfig = {}): ElasticLoadBalancingV2Client {
  return new ElasticLoadBalancingV2Client({ ...RETRY_SETTINGS, requestHandler: HTTP_TIMEOUTS, ...overrides });
}

export function createSnsClient(overrides: SNSClientConfig = {}): SNSClient {
  return new SNSClient({ ...RETRY_SETTINGS, requestHandler: HTTP_TIMEOUTS, ...overrides });
}

export function createDynamoDbClient(overrides: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ ...RETRY_SETTINGS, requestHandler: HTTP_TIMEOUTS, ...overrides });
}

/** `create`, called once on first use: for a client only some invocations need. */
export function lazily<T>(create: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: create() }).value;
}
