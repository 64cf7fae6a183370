// The SDK's retry lives in the client's middleware, which aws-sdk-client-mock replaces; these tests put the
// production client configuration in front of a scripted HTTP endpoint instead, so the retries really happen.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createElbv2Client, RETRY_SETTINGS } from '../../handlers/interruption/clients.js';
import { createHandler } from '../../handlers/interruption/handler.js';
import { interruptionWarning } from '../../harness/ec2-events.js';

const INSTANCE = 'i-0b662ef9931388ba0';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef';
const NS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

interface Reply {
  status: number;
  body: string;
}
const ok = (action: string, result: string): Reply => ({
  status: 200,
  body: `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>`,
});
const failure = (status: number, code: string): Reply => ({
  status,
  body: `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${code} from test</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
});
// What ELB shows once DeregisterTargets has landed.
const DRAINING = ok(
  'DescribeTargetHealth',
  `<TargetHealthDescriptions><member><Target><Id>${INSTANCE}</Id><Port>80</Port></Target><TargetHealth><State>draining</State><Reason>Target.DeregistrationInProgress</Reason></TargetHealth></member></TargetHealthDescriptions>`,
);
const DEREGISTERED = ok('DeregisterTargets', '');

/** Scripted replies per API action; the last reply for an action repeats. */
let script: Record<string, Reply[]> = {};
let received: string[] = [];
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const action = new URLSearchParams(body).get('Action') ?? '?';
      received.push(action);
      const replies = script[action] ?? [failure(400, 'UnexpectedAction')];
      const reply = replies.length > 1 ? replies.shift()! : replies[0]!;
      res.writeHead(reply.status, { 'content-type': 'text/xml' }).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received = [];
});
afterEach(() => vi.unstubAllEnvs());

/** `budgetMs` 0: one pass, so what is measured is the SDK's own retrying. */
function handlerAgainstScript(budgetMs = 0) {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  return createHandler({
    retry: { budgetWithoutContextMs: budgetMs, baseDelayMs: 20, maxDelayMs: 100 },
    config: { targetGroupArns: [TG], drainOnRebalance: false },
    elbv2: createElbv2Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test' }),
  });
}

describe('SDK retries configured by createElbv2Client', () => {
  it('rides out throttling and then deregisters', async () => {
    script = { DeregisterTargets: [failure(400, 'Throttling'), DEREGISTERED], DescribeTargetHealth: [failure(400, 'Throttling'), DRAINING] };

    expect(await handlerAgainstScript()(interruptionWarning(INSTANCE))).toMatchObject({ status: 'deregistered' });
    expect(received).toEqual(['DeregisterTargets', 'DeregisterTargets', 'DescribeTargetHealth', 'DescribeTargetHealth']);
  });

  it('retries a transient server error', async () => {
    script = { DeregisterTargets: [failure(503, 'ServiceUnavailable'), DEREGISTERED], DescribeTargetHealth: [DRAINING] };

    expect(await handlerAgainstScript()(interruptionWarning(INSTANCE))).toMatchObject({ status: 'deregistered' });
    expect(received).toEqual(['DeregisterTargets', 'DeregisterTargets', 'DescribeTargetHealth']);
  });

  it(`throws a persistent failure after ${RETRY_SETTINGS.maxAttempts} attempts`, async () => {
    script = { DeregisterTargets: [failure(500, 'InternalFailure')] };

    await expect(handlerAgainstScript()(interruptionWarning(INSTANCE))).rejects.toThrow('InternalFailure from test');
    expect(received).toEqual(Array<string>(RETRY_SETTINGS.maxAttempts).fill('DeregisterTargets'));
  });

  it('the handler retries a failure that outlasts the SDK\'s attempts, within its budget', async () => {
    const unavailable = failure(503, 'ServiceUnavailable');
    script = { DeregisterTargets: [unavailable, unavailable, unavailable, unavailable, unavailable, DEREGISTERED], DescribeTargetHealth: [DRAINING] };

    expect(await handlerAgainstScript(10_000)(interruptionWarning(INSTANCE))).toMatchObject({ status: 'deregistered', attempts: 3 });
    expect(received).toEqual([...Array<string>(6).fill('DeregisterTargets'), 'DescribeTargetHealth']);
  });

  it('does not retry a client error that retrying cannot fix', async () => {
    script = { DeregisterTargets: [failure(400, 'TargetGroupNotFound')] };

    await expect(handlerAgainstScript()(interruptionWarning(INSTANCE))).rejects.toThrow('TargetGroupNotFound from test');
    expect(received).toEqual(['DeregisterTargets']);
  });
});
