import { ElasticLoadBalancingV2Client, type ElasticLoadBalancingV2ClientConfig } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';

/**
 * Throttling, 5xx and network errors are retried by the SDK with jittered exponential backoff. Standard mode
 * rather than adaptive: adaptive's client-side rate limiter pays off for a client sending many requests, and a
 * container sends a handful per event. Five attempts fit many times over into the two-minute warning.
 */
export const RETRY_SETTINGS = { maxAttempts: 5, retryMode: 'standard' } as const;

/** A hung connection must fail over to a retry long before the instance is reclaimed. */
const HTTP_TIMEOUTS = { connectionTimeout: 3_000, requestTimeout: 10_000 } as const;

// Region, credentials and endpoint (AWS_ENDPOINT_URL, used to point at moto) come from the SDK's own
// environment lookup; overrides exist for tests.
export function createElbv2Client(overrides: ElasticLoadBalancingV2ClientConfig = {}): ElasticLoadBalancingV2Client {
  return new ElasticLoadBalancingV2Client({ ...RETRY_SETTINGS, requestHandler: HTTP_TIMEOUTS, ...overrides });
}

export function createSnsClient(overrides: SNSClientConfig = {}): SNSClient {
  return new SNSClient({ ...RETRY_SETTINGS, requestHandler: HTTP_TIMEOUTS, ...overrides });
}
