import 'aws-sdk-client-mock-vitest/extend';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  InvalidTargetException,
  TargetGroupNotFoundException,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HandlerConfig } from '../../handlers/interruption/config.js';
import { createHandler } from '../../handlers/interruption/handler.js';
import type { RetryBudgetOptions } from '../../handlers/interruption/retry-budget.js';
import { interruptionWarning, rebalanceRecommendation, stateChangeNotification } from '../../harness/ec2-events.js';

const INSTANCE = 'i-0b662ef9931388ba0';
const TG_WEB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef';
const TG_API = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/fedcba9876543210';

const elbv2Mock = mockClient(ElasticLoadBalancingV2Client);

function health(state: TargetHealthStateEnum, reason?: 'Target.NotRegistered' | 'Target.DeregistrationInProgress') {
  return {
    TargetHealthDescriptions: [
      { Target: { Id: INSTANCE, Port: 80 }, TargetHealth: { State: state, ...(reason ? { Reason: reason } : {}) } },
    ],
  };
}
const NOT_REGISTERED = health('unused', 'Target.NotRegistered');

/** Without `retry`, one pass and no waiting: the handler's own retry loop has its tests below. */
function setup(config: Partial<HandlerConfig> = {}, retry: RetryBudgetOptions = { budgetWithoutContextMs: 0 }) {
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'test', serviceName: 'test' });
  const log = { info: vi.spyOn(logger, 'info'), warn: vi.spyOn(logger, 'warn'), error: vi.spyOn(logger, 'error') };
  const addMetric = vi.spyOn(metrics, 'addMetric');
  const publish = vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
  const handler = createHandler({
    config: { targetGroupArns: [TG_WEB], drainOnRebalance: false, ...config },
    elbv2: new ElasticLoadBalancingV2Client({ region: 'us-east-1' }),
    logger,
    metrics,
    retry,
  });
  const metricNames = () => addMetric.mock.calls.map(([name]) => name);
  return { handler, log, logger, metricNames, publish };
}

beforeEach(() => {
  elbv2Mock.reset();
});
afterEach(() => vi.restoreAllMocks());

describe('interruption warning for a registered instance', () => {
  it.each(['terminate', 'stop', 'hibernate'])('deregisters it on %s, with one describe and one deregister', async (action) => {
    elbv2Mock.on(DescribeTargetHealthCommand).resolves(health('healthy'));
    const { handler } = setup();

    const outcome = await handler(interruptionWarning(INSTANCE, action));

    expect(outcome).toMatchObject({ status: 'deregistered', instanceId: INSTANCE, action, targetGroups: [{ targetGroupArn: TG_WEB, outcome: 'deregistered' }] });
    expect(elbv2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeTargetHealthCommand, { TargetGroupArn: TG_WEB, Targets: [{ Id: INSTANCE }] });
    expect(elbv2Mock).toHaveReceivedCommandExactlyOnceWith(DeregisterTargetsCommand, { TargetGroupArn: TG_WEB, Targets: [{ Id: INSTANCE, Port: 80 }] });
    expect(elbv2Mock.calls()).toHaveLength(2);
  });

  it('logs one structured line and counts the outcome', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).resolves(health('healthy'));
    const { handler, log, metricNames, publish } = setup();
    const event = interruptionWarning(INSTANCE);

    await handler(event);

    expect(log.info).toHaveBeenCalledExactlyOnceWith('interruption event deregistered', {
      outcome: 'deregistered',
      eventId: event.id,
      instanceId: INSTANCE,
      action: 'terminate',
      targetGroups: [{ targetGroupArn: TG_WEB, outcome: 'deregistered' }],
      elapsedMs: expect.any(Number),
    });
    expect(metricNames()).toEqual(['Deregistered']);
    expect(publish).toHaveBeenCalledOnce();
  });

  it('puts the Lambda request id into its log lines when given the context', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).resolves(NOT_REGISTERED);
    const { handler, logger } = setup();
    const addContext = vi.spyOn(logger, 'addContext');
    const context = { awsRequestId: 'req-1', functionName: 'interruption' } as Context;

    await handler(interruptionWarning(INSTANCE), context);
    expect(addContext).toHaveBeenCalledExactlyOnceWith(context);
  });

  it('deregisters from every target group it is registered in, and only those', async () => {
    elbv2Mock
      .on(DescribeTargetHealthCommand, { TargetGroupArn: TG_WEB }).resolves(health('healthy'))
      .on(DescribeTargetHealthCommand, { TargetGroupArn: TG_API }).resolves(NOT_REGISTERED);
    const { handler } = setup({ targetGroupArns: [TG_WEB, TG_API] });

    const outcome = await handler(interruptionWarning(INSTANCE));

    expect(outcome.targetGroups).toEqual([
      { targetGroupArn: TG_WEB, outcome: 'deregistered' },
      { targetGroupArn: TG_API, outcome: 'not-registered' },
    ]);
    expect(elbv2Mock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 2);
    expect(elbv2Mock).toHaveReceivedCommandExactlyOnceWith(DeregisterTargetsCommand, { TargetGroupArn: TG_WEB, Targets: [{ Id: INSTANCE, Port: 80 }] });
  });

  it('deregisters from two target groups when registered in both', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).resolves(health('healthy'));
    const { handler } = setup({ targetGroupArns: [TG_WEB, TG_API] });

    expect(await handler(interruptionWarning(INSTANCE))).toMatchObject({ status: 'deregistered' });
    expect(elbv2Mock).toHaveReceivedCommandWith(DeregisterTargetsCommand, { TargetGroupArn: TG_WEB });
    expect(elbv2Mock).toHaveReceivedCommandWith(DeregisterTargetsCommand, { TargetGroupArn: TG_API });
  });
});

describe('idempotence', () => {
  it('treats an already-draining target (a duplicate event on AWS) as success without deregistering again', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).resolves(health('draining', 'Target.DeregistrationInProgress'));
    const { handler, metricNames } = setup();

    expect(await handler(interruptionWarning(INSTANCE))).toMatchObject({ status: 'already-draining' });
    expect(elbv2Mock).not.toHaveReceivedCommand(DeregisterTargetsCommand);
    expect(metricNames()).toEqual(['AlreadyDraining']);
  });

  it('handles the same event twice: the second finds the target gone and succeeds', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).resolvesOnce(health('healthy')).resolves(NOT_REGISTERED);
    const { handler } = setup();
    const event = interruptionWarning(INSTANCE);

    expect(await handler(event)).toMatchObject({ status: 'deregistered' });
    expect(await handler(event)).toMatchObject({ status: 'not-registered' });
    expect(elbv2Mock).toHaveReceivedCommandOnce(DeregisterTargetsCommand);
  });

  it('succeeds when a concurrent duplicate removed the target between describe and deregister', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).resolves(health('healthy'));
    elbv2Mock.on(DeregisterTargetsCommand).rejects(new InvalidTargetException({ message: 'The specified target does not exist', $metadata: {} }));
    const { handler } = setup();

    expect(await handler(interruptionWarning(INSTANCE))).toMatchObject({ status: 'already-draining' });
  });
});

describe('instances that are not ours', () => {
  it('leaves an instance that is in none of our target groups alone', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).resolves(NOT_REGISTERED);
    const { handler, log, metricNames } = setup();

    const outcome = await handler(interruptionWarning(INSTANCE));

    expect(outcome).toMatchObject({ status: 'not-registered', targetGroups: [{ targetGroupArn: TG_WEB, outcome: 'not-registered' }] });
    expect(elbv2Mock).not.toHaveReceivedCommand(DeregisterTargetsCommand);
    expect(log.info).toHaveBeenCalledWith('interruption event not-registered', expect.objectContaining({ instanceId: INSTANCE }));
    expect(metricNames()).toEqual(['NotRegistered']);
  });

  it('treats InvalidTarget from DescribeTargetHealth (instance in another VPC) as not ours', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).rejects(new InvalidTargetException({ message: 'not in the same VPC', $metadata: {} }));
    const { handler } = setup();

    expect(await handler(interruptionWarning(INSTANCE))).toMatchObject({ status: 'not-registered' });
    expect(elbv2Mock).not.toHaveReceivedCommand(DeregisterTargetsCommand);
  });
});

describe('rebalance recommendations', () => {
  it('are ignored without an API call when draining on rebalance is off', async () => {
    const { handler, metricNames } = setup();

    expect(await handler(rebalanceRecommendation(INSTANCE))).toMatchObject({
      status: 'ignored',
      instanceId: INSTANCE,
      reason: 'draining on rebalance recommendation is disabled',
    });
    expect(elbv2Mock.calls()).toHaveLength(0);
    expect(metricNames()).toEqual(['Ignored']);
  });

  it('drain the instance when draining on rebalance is on', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).resolves(health('healthy'));
    const { handler } = setup({ drainOnRebalance: true });

    expect(await handler(rebalanceRecommendation(INSTANCE))).toMatchObject({ status: 'deregistered', action: 'rebalance' });
    expect(elbv2Mock).toHaveReceivedCommandOnce(DeregisterTargetsCommand);
  });
});

describe('events the handler does not act on', () => {
  it('ignores another EC2 event type with a log line', async () => {
    const { handler, log } = setup();

    expect(await handler(stateChangeNotification(INSTANCE))).toMatchObject({ status: 'ignored' });
    expect(log.info).toHaveBeenCalledWith('interruption event ignored', expect.objectContaining({
      reason: 'detail-type "EC2 Instance State-change Notification" is not handled',
    }));
    expect(elbv2Mock.calls()).toHaveLength(0);
  });

  it.each([
    ['ignored', { ...stateChangeNotification(INSTANCE), id: 'x'.repeat(1_000_000), 'detail-type': 'y'.repeat(1_000_000) }],
    ['rejected', { ...interruptionWarning(INSTANCE), id: 'x'.repeat(1_000_000), source: 'z'.repeat(1_000_000) }],
    ['acted on', { ...interruptionWarning(INSTANCE), id: 'x'.repeat(1_000_000) }],
  ])('bounds every field it echoes on the %s path: a 1 MB id and detail-type make a short log line', async (_path, event) => {
    const { handler, log } = setup();
    elbv2Mock.on(DescribeTargetHealthCommand).resolves(NOT_REGISTERED);

    await handler(event);

    const lines = [...log.info.mock.calls, ...log.warn.mock.calls].map((args) => JSON.stringify(args));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.length).toBeLessThan(1_000);
  });

  it.each([
    ['not an object', 42],
    ['a foreign source', { ...interruptionWarning(INSTANCE), source: 'evil.app' }],
    ['a bad instance id', interruptionWarning('i-../../etc')],
    ['an unknown action', interruptionWarning(INSTANCE, 'explode')],
  ])('rejects a malformed event (%s) without throwing or calling AWS', async (_name, event) => {
    const { handler, log, metricNames } = setup();

    expect(await handler(event)).toMatchObject({ status: 'rejected', reason: expect.any(String) });
    expect(log.warn).toHaveBeenCalledWith('interruption event rejected', expect.objectContaining({ outcome: 'rejected' }));
    expect(metricNames()).toEqual(['Rejected']);
    expect(elbv2Mock.calls()).toHaveLength(0);
  });
});

describe('failures', () => {
  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });

  it('throws a persistent DescribeTargetHealth failure so EventBridge retries, logging and counting it', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).rejects(throttled());
    const { handler, log, metricNames, publish } = setup();
    const event = interruptionWarning(INSTANCE);

    await expect(handler(event)).rejects.toThrow('Rate exceeded');
    expect(log.error).toHaveBeenCalledWith('interruption event failed', expect.objectContaining({
      eventId: event.id,
      instanceId: INSTANCE,
      outcome: 'failed',
      error: expect.objectContaining({ message: 'Rate exceeded' }),
    }));
    expect(metricNames()).toEqual(['Failed']);
    expect(publish).toHaveBeenCalledOnce();
  });

  it('throws when a target group does not exist (a configuration error must not pass silently)', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).rejects(new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: {} }));
    const { handler } = setup();

    await expect(handler(interruptionWarning(INSTANCE))).rejects.toBeInstanceOf(TargetGroupNotFoundException);
  });

  it('finishes the other target groups before throwing a failure in one', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).resolves(health('healthy'));
    elbv2Mock.on(DeregisterTargetsCommand, { TargetGroupArn: TG_API }).rejects(throttled());
    const { handler } = setup({ targetGroupArns: [TG_API, TG_WEB] });

    await expect(handler(interruptionWarning(INSTANCE))).rejects.toThrow('Rate exceeded');
    expect(elbv2Mock).toHaveReceivedCommandWith(DeregisterTargetsCommand, { TargetGroupArn: TG_WEB });
  });

  it('reports every failed target group when several fail', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).rejects(throttled());
    const { handler } = setup({ targetGroupArns: [TG_API, TG_WEB] });

    await expect(handler(interruptionWarning(INSTANCE))).rejects.toThrow(`Draining ${INSTANCE} failed in 2 target groups`);
  });
});

describe('retries inside one invocation', () => {
  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 } });
  const noWait: RetryBudgetOptions = { budgetWithoutContextMs: 10_000, sleep: async () => undefined };

  it('rides out a throttled ELB API and deregisters in the same invocation', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves(health('healthy'));
    const { handler } = setup({}, noWait);

    expect(await handler(interruptionWarning(INSTANCE))).toMatchObject({ status: 'deregistered', attempts: 3 });
    expect(elbv2Mock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 3);
    expect(elbv2Mock).toHaveReceivedCommandOnce(DeregisterTargetsCommand);
  });

  it('does not redo a target group an earlier attempt finished, and still says "deregistered"', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).resolves(health('healthy'));
    elbv2Mock.on(DeregisterTargetsCommand, { TargetGroupArn: TG_API }).rejectsOnce(throttled()).resolves({});
    const { handler } = setup({ targetGroupArns: [TG_WEB, TG_API] }, noWait);

    const outcome = await handler(interruptionWarning(INSTANCE));
    expect(outcome.status).toBe('deregistered');
    expect(outcome.targetGroups).toEqual([
      { targetGroupArn: TG_WEB, outcome: 'deregistered' },
      { targetGroupArn: TG_API, outcome: 'deregistered' },
    ]);
    expect(elbv2Mock).toHaveReceivedCommandWith(DeregisterTargetsCommand, { TargetGroupArn: TG_WEB });
    expect(elbv2Mock.commandCalls(DeregisterTargetsCommand, { TargetGroupArn: TG_WEB })).toHaveLength(1);
  });

  it.each([
    ['its answer lost (a timeout)', () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} }), health('draining', 'Target.DeregistrationInProgress')],
    // The SDK retried a timeout itself and its second attempt was throttled: the first may have landed.
    ['a throttle after the SDK retried a timeout', throttled, health('draining', 'Target.DeregistrationInProgress')],
    // With nothing in flight ELB completes the drain at once: the next describe finds it gone.
    ['its answer lost, the drain already complete', () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} }), NOT_REGISTERED],
  ])('counts a failed DeregisterTargets (%s) as its own drain when the next attempt finds the target leaving', async (_what, error, found) => {
    elbv2Mock.on(DescribeTargetHealthCommand).resolvesOnce(health('healthy')).resolves(found);
    elbv2Mock.on(DeregisterTargetsCommand).rejectsOnce(error());
    const { handler } = setup({}, noWait);

    const outcome = await handler(interruptionWarning(INSTANCE));
    // Control: a delivery that sent nothing and finds the target draining says already-draining (the idempotence tests).
    expect(outcome).toMatchObject({ status: 'deregistered', attempts: 2, targetGroups: [{ targetGroupArn: TG_WEB, outcome: 'deregistered' }] });
    expect(elbv2Mock.commandCalls(DeregisterTargetsCommand)).toHaveLength(1);
  });

  it('stops before the function timeout the context reports, with the AWS error, logged with its attempts', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).rejects(throttled());
    const { handler, log } = setup({}, { baseDelayMs: 20, maxDelayMs: 50 });
    const deadline = Date.now() + 1_000;
    const context = { awsRequestId: 'req-2', getRemainingTimeInMillis: () => deadline - Date.now() } as Context;

    const started = Date.now();
    await expect(handler(interruptionWarning(INSTANCE), context)).rejects.toThrow('Rate exceeded');
    // 10 % of the remaining time is kept back to log and return before Lambda would kill the invocation.
    expect(Date.now()).toBeLessThan(deadline);
    expect(Date.now() - started).toBeGreaterThan(500);
    const [, fields] = log.error.mock.calls[0]!;
    expect((fields as { attempts: number }).attempts).toBeGreaterThan(3);
  });

  it('does not retry what retrying cannot fix', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).rejects(new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: {} }));
    const { handler } = setup({}, noWait);

    await expect(handler(interruptionWarning(INSTANCE))).rejects.toBeInstanceOf(TargetGroupNotFoundException);
    expect(elbv2Mock).toHaveReceivedCommandOnce(DescribeTargetHealthCommand);
  });
});
