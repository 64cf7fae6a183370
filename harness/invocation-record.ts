import { invocationRecord } from '../local/lambda/async-invocation.js';

/**
 * The on-success invocation record Lambda sends a function's destination (Lambda developer guide, "Capturing records
 * of Lambda asynchronous invocations"): the event the function got as `requestPayload`, what it returned as
 * `responsePayload`. Built by the local runtime's own `invocationRecord`, so the tests that feed the drain
 * confirmation function give it exactly what the local cloud would.
 */
export function successRecord(event: unknown, response: unknown, functionArn = 'arn:aws:lambda:us-east-1:123456789012:function:spotweb-InterruptionsHandler') {
  // Through JSON, as Lambda carries it: no undefined fields, no class instances.
  return JSON.parse(
    JSON.stringify(invocationRecord({ functionArn, requestId: 'c2a6f2ae-7dbb-4d22-8782-d0485c9877e2', event, attempts: 1, at: new Date(), outcome: { condition: 'Success', response } })),
  ) as Record<string, unknown>;
}
