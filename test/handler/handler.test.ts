import 'aws-sdk-client-mock-vitest/extend';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  InvalidTargetException,
  TargetGroupNotFoundException,
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
import { elbTargets, type Membership } from '../support/elb-target.js';

const INSTANCE = 'i-0b662ef9931388ba0';
const TG_WEB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef';
const TG_API = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/fedcba9876543210';

const elbv2Mock = mockClient(ElasticLoadBalancingV2Client);

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

/** ELB's view of INSTANCE in each target group, changed by the handler's calls (test/support/elb-target.ts). */
function elbWith(groups: Record<string, Membership>, port = 80) {
  const elb = elbTargets(elbv2Mock, INSTANCE, groups, port);
  return { ...elb, state: (arn = TG_WEB) => elb.state(arn) };
}

describe('interruption warning for a registered instance', () => {
  it.each(['terminate', 'stop', 'hibernate'])('takes it out of service on %s with its first call (DeregisterTargets), then one describe', async (action) => {
    const elb = elbWith({ [TG_WEB]: 'healthy' });
    const { handler } = setup();

    const outcome = await handler(interruptionWarning(INSTANCE, action));

    expect(outcome).toMatchObject({ status: 'deregistered', instanceId: INSTANCE, action, targetGroups: [{ targetGroupArn: TG_WEB, outcome: 'deregistered' }] });
    expect(elbv2Mock).toHaveReceivedCommandExactlyOnceWith(DeregisterTargetsCommand, { TargetGroupArn: TG_WEB, Targets: [{ Id: INSTANCE }] });
    expect(elbv2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeTargetHealthCommand, { TargetGroupArn: TG_WEB, Targets: [{ Id: INSTANCE }] });
    expect(elb.calls).toEqual(['DeregisterTargets -', 'DescribeTargetHealth']);
    expect(elb.state()).toBe('draining');
  });

  it('deregisters a registration on a port of its own (a port override) with its port, which the first call does not match', async () => {
    const elb = elbWith({ [TG_WEB]: 'healthy' }, 8080);
    const { handler } = setup();

    expect(await handler(interruptionWarning(INSTANCE))).toMatchObject({ status: 'deregistered' });
    // After the port-less call alone the target is still live (the stand-in lists the registration for a describe by id,
    // which ELB is not known to do; drain.ts): ELB needs the port of a port override.
    expect(elb.calls).toEqual(['DeregisterTargets -', 'DescribeTargetHealth', 'DeregisterTargets 8080']);
    expect(elbv2Mock).toHaveReceivedCommandWith(DeregisterTargetsCommand, { TargetGroupArn: TG_WEB, Targets: [{ Id: INSTANCE, Port: 8080 }] });
    expect(elb.state()).toBe('draining');
  });

  it('logs one structured line and counts the outcome', async () => {
    elbWith({ [TG_WEB]: 'healthy' });
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
    elbWith({});
    const { handler, logger } = setup();
    const addContext = vi.spyOn(logger, 'addContext');
    const context = { awsRequestId: 'req-1', functionName: 'interruption' } as Context;

    await handler(interruptionWarning(INSTANCE), context);
    expect(addContext).toHaveBeenCalledExactlyOnceWith(context);
  });

  it('says which target groups it was in: deregistered from those, not registered in the others', async () => {
    const elb = elbWith({ [TG_WEB]: 'healthy', [TG_API]: 'not-registered' });
    const { handler } = setup({ targetGroupArns: [TG_WEB, TG_API] });

    const outcome = await handler(interruptionWarning(INSTANCE));

    expect(outcome.targetGroups).toEqual([
      { targetGroupArn: TG_WEB, outcome: 'deregistered' },
      { targetGroupArn: TG_API, outcome: 'not-registered' },
    ]);
    expect(elbv2Mock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 2);
    expect(elbv2Mock).toHaveReceivedCommandTimes(DeregisterTargetsCommand, 2);
    expect([elb.state(TG_WEB), elb.state(TG_API)]).toEqual(['draining', 'not-registered']);
  });

  it('deregisters from two target groups when registered in both', async () => {
    const elb = elbWith({ [TG_WEB]: 'healthy', [TG_API]: 'healthy' });
    const { handler } = setup({ targetGroupArns: [TG_WEB, TG_API] });

    expect(await handler(interruptionWarning(INSTANCE))).toMatchObject({ status: 'deregistered' });
    expect([elb.state(TG_WEB), elb.state(TG_API)]).toEqual(['draining', 'draining']);
  });
});

describe('idempotence', () => {
  it('a duplicate delivery finds the target draining after its own DeregisterTargets (a success on ELB) and says deregistered', async () => {
    const elb = elbWith({ [TG_WEB]: 'draining' });
    const { handler, metricNames } = setup();

    // Whether this call or an earlier one drained it cannot be told apart (drain.ts); the confirmation's claim sends one message.
    expect(await handler(interruptionWarning(INSTANCE))).toMatchObject({ status: 'deregistered' });
    expect(elb.calls).toEqual(['DeregisterTargets -', 'DescribeTargetHealth']);
    expect(metricNames()).toEqual(['Deregistered']);
  });

  it('handles the same event again after the deregistration delay: the target is gone, not registered', async () => {
    const elb = elbWith({ [TG_WEB]: 'healthy' });
    const { handler } = setup();
    const event = interruptionWarning(INSTANCE);

    expect(await handler(event)).toMatchObject({ status: 'deregistered' });
    elb.set(TG_WEB, 'not-registered');
    expect(await handler(event)).toMatchObject({ status: 'not-registered' });
  });

  it('takes a port override a concurrent duplicate took out first as leaving (InvalidTarget, as moto answers; ELB answers success)', async () => {
    elbWith({ [TG_WEB]: 'healthy' }, 8080);
    elbv2Mock.on(DeregisterTargetsCommand, { Targets: [{ Id: INSTANCE, Port: 8080 }] }).rejects(new InvalidTargetException({ message: 'The specified target does not exist', $metadata: {} }));
    const { handler } = setup();

    expect(await handler(interruptionWarning(INSTANCE))).toMatchObject({ status: 'deregistered' });
  });
});

describe('instances that are not ours', () => {
  it('leaves an instance that is in none of our target groups alone', async () => {
    const elb = elbWith({ [TG_WEB]: 'not-registered' });
    const { handler, log, metricNames } = setup();

    const outcome = await handler(interruptionWarning(INSTANCE));

    expect(outcome).toMatchObject({ status: 'not-registered', targetGroups: [{ targetGroupArn: TG_WEB, outcome: 'not-registered' }] });
    // The port-less call ELB answers with success, changing nothing, and no call with a port follows.
    expect(elb.calls).toEqual(['DeregisterTargets -', 'DescribeTargetHealth']);
    expect(log.info).toHaveBeenCalledWith('interruption event not-registered', expect.objectContaining({ instanceId: INSTANCE }));
    expect(metricNames()).toEqual(['NotRegistered']);
  });

  it('treats InvalidTarget from DeregisterTargets (no such instance, or one in another VPC) as not ours, without describing it', async () => {
    elbv2Mock.on(DeregisterTargetsCommand).rejects(new InvalidTargetException({ message: 'not in the same VPC', $metadata: {} }));
    const { handler } = setup();

    expect(await handler(interruptionWarning(INSTANCE))).toMatchObject({ status: 'not-registered' });
    expect(elbv2Mock).not.toHaveReceivedCommand(DescribeTargetHealthCommand);
  });

  it('treats InvalidTarget from DescribeTargetHealth as not ours', async () => {
    elbv2Mock.on(DescribeTargetHealthCommand).rejects(new InvalidTargetException({ message: 'not in the same VPC', $metadata: {} }));
    const { handler } = setup();

    expect(await handler(interruptionWarning(INSTANCE))).toMatchObject({ status: 'not-registered' });
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
    const elb = elbWith({ [TG_WEB]: 'healthy' });
    const { handler } = setup({ drainOnRebalance: true });

    expect(await handler(rebalanceRecommendation(INSTANCE))).toMatchObject({ status: 'deregistered', action: 'rebalance' });
    expect(elb.state()).toBe('draining');
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
    elbWith({});

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
    elbv2Mock.on(DeregisterTargetsCommand).rejects(new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: {} }));
    const { handler } = setup();

    await expect(handler(interruptionWarning(INSTANCE))).rejects.toBeInstanceOf(TargetGroupNotFoundException);
  });

  it('finishes the other target groups before throwing a failure in one', async () => {
    const elb = elbWith({ [TG_WEB]: 'healthy', [TG_API]: 'healthy' });
    elbv2Mock.on(DeregisterTargetsCommand, { TargetGroupArn: TG_API }).rejects(throttled());
    const { handler } = setup({ targetGroupArns: [TG_API, TG_WEB] });

    await expect(handler(interruptionWarning(INSTANCE))).rejects.toThrow('Rate exceeded');
    expect(elb.state(TG_WEB)).toBe('draining');
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
    const elb = elbWith({ [TG_WEB]: 'healthy' });
    let throttles = 2;
    elbv2Mock.on(DeregisterTargetsCommand).callsFake(() => {
      if (throttles-- > 0) throw throttled();
      elb.set(TG_WEB, 'draining');
      return {};
    });
    const { handler } = setup({}, noWait);

    expect(await handler(interruptionWarning(INSTANCE))).toMatchObject({ status: 'deregistered', attempts: 3 });
    expect(elbv2Mock).toHaveReceivedCommandTimes(DeregisterTargetsCommand, 3);
    expect(elbv2Mock).toHaveReceivedCommandOnce(DescribeTargetHealthCommand);
    expect(elb.state()).toBe('draining');
  });

  it('does not redo a target group an earlier attempt finished, and still says "deregistered"', async () => {
    elbWith({ [TG_WEB]: 'healthy', [TG_API]: 'healthy' });
    elbv2Mock.on(DeregisterTargetsCommand, { TargetGroupArn: TG_API }).rejectsOnce(throttled());
    const { handler } = setup({ targetGroupArns: [TG_WEB, TG_API] }, noWait);

    const outcome = await handler(interruptionWarning(INSTANCE));
    expect(outcome.status).toBe('deregistered');
    expect(outcome.targetGroups).toEqual([
      { targetGroupArn: TG_WEB, outcome: 'deregistered' },
      { targetGroupArn: TG_API, outcome: 'deregistered' },
    ]);
    expect(elbv2Mock.commandCalls(DeregisterTargetsCommand, { TargetGroupArn: TG_WEB })).toHaveLength(1);
    expect(elbv2Mock.commandCalls(DescribeTargetHealthCommand, { TargetGroupArn: TG_WEB })).toHaveLength(1);
  });

  it.each([
    ['its answer lost (a timeout)', () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} })],
    // The SDK retried a timeout itself and its second attempt was throttled: the first may have landed.
    ['a throttle after the SDK retried a timeout', throttled],
  ])('counts a DeregisterTargets that failed (%s) but landed as its own drain: the next attempt calls it again and finds the target draining', async (_what, error) => {
    const elb = elbWith({ [TG_WEB]: 'healthy' });
    let first = true;
    elbv2Mock.on(DeregisterTargetsCommand).callsFake(() => {
      elb.set(TG_WEB, 'draining');
      if (first) {
        first = false;
        throw error();
      }
      return {};
    });
    const { handler } = setup({}, noWait);

    expect(await handler(interruptionWarning(INSTANCE))).toMatchObject({ status: 'deregistered', attempts: 2, targetGroups: [{ targetGroupArn: TG_WEB, outcome: 'deregistered' }] });
    expect(elbv2Mock.commandCalls(DeregisterTargetsCommand)).toHaveLength(2);
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
    elbv2Mock.on(DeregisterTargetsCommand).rejects(new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: {} }));
    const { handler } = setup({}, noWait);

    await expect(handler(interruptionWarning(INSTANCE))).rejects.toBeInstanceOf(TargetGroupNotFoundException);
    expect(elbv2Mock).toHaveReceivedCommandOnce(DeregisterTargetsCommand);
  });
});
