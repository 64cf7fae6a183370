/**
 * The on-success invocation record Lambda sends a function's destination, in the shape the Lambda developer guide
 * documents ("Capturing records of Lambda asynchronous invocations"): the event the function got as
 * `requestPayload`, what it returned as `responsePayload`. For tests that feed the drain confirmation function
 * what Lambda would (the local runtime builds the same record in local/lambda/async-invocation.ts).
 */
export function successRecord(event: unknown, response: unknown, functionArn = 'arn:aws:lambda:us-east-1:123456789012:function:spotweb-InterruptionsHandler') {
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: { requestId: 'c2a6f2ae-7dbb-4d22-8782-d0485c9877e2', functionArn: `${functionArn}:$LATEST`, condition: 'Success', approximateInvokeCount: 1 },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST' },
    // Through JSON, as Lambda carries it: no undefined fields, no class instances.
    responsePayload: response === undefined ? null : JSON.parse(JSON.stringify(response)),
  };
}
