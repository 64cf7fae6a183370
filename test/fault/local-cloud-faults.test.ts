// Faults of the interruption path that need the whole local cloud: the ELB control plane down while a warning
// arrives (short and long), the Lambda never invoked, and moto itself gone.
import { execFileSync } from 'node:child_process';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { DeadLetterFailedError } from '../../local/events/delivery.js';
import { fromLambda, serviceOutage } from '../../local/faults.js';
import { interruptionWarning } from '../../harness/ec2-events.js';
import { startLoad } from '../support/load.js';
import { waitFor } from '../../harness/wait-for.js';

// 0.2 for the outage: the warning and the drain take 24 s, Lambda's retries come 12 s and 24 s after a failure, and
// the handler's function timeout (60 s) is 12 s. The handler's own timings (SDK request timeouts, retry backoff) run
// in real time while its function timeout is scaled, so a smaller scale is harsher than AWS: at 0.1 a 3 s outage,
// the drain and the three calls after it (claim, publish, mark sent) had to fit in 6 s, and under a loaded suite
// the last ones did not. 0.05 for the watcher test.
const OUTAGE_TIME_SCALE = 0.2;
const TIME_SCALE = 0.05;
const NO_SCALE_OUT = { requestsPerTarget: '1000000' };

async function registeredInMoto(cloud: LocalCloud, instanceId: string): Promise<boolean> {
  const out = await cloud.clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: cloud.targetGroupArn }));
  return (out.TargetHealthDescriptions ?? []).some((d) => d.Target?.Id === instanceId && d.TargetHealth?.State !== 'draining');
}

/** An instance that is serving and not under a warning. */
async function servingInstance(cloud: LocalCloud): Promise<string> {
  return waitFor(
    'a healthy instance with no warning',
    () => {
      const warned = new Set(cloud.fleet.instances().filter((i) => i.reclaimAt).map((i) => i.instanceId));
      return cloud.loadBalancer.targets().find((t) => t.state === 'healthy' && !warned.has(t.id))?.id;
    },
    20_000,
  );
}

/** The handler's asynchronous invocation for the warning about `instanceId`, once Lambda is done with it. */
function invocationFor(cloud: LocalCloud, from: number, eventIds: Set<string>) {
  return cloud.invocations.slice(from).find((i) => i.eventId !== undefined && eventIds.has(i.eventId));
}

/** The function's dead-letter queue URL (its DeadLetterConfig), as the stack wires it. */
function functionDeadLetterQueueUrl(cloud: LocalCloud): string {
  const fn = Object.values(cloud.deployed.resources).find((r) => r.type === 'AWS::Lambda::Function' && r.properties.DeadLetterConfig);
  const arn = fn?.properties.DeadLetterConfig?.TargetArn;
  const queue = Object.values(cloud.deployed.resources).find((r) => r.type === 'AWS::SQS::Queue' && r.attributes.Arn === arn);
  if (!queue) throw new Error(`no dead-letter queue for the handler function (${arn})`);
  return queue.attributes.QueueUrl as string;
}

/** Ids of the events the stack's function was handed from delivery `from` on. */
function functionEventIds(cloud: LocalCloud, from: number): Set<string> {
  return new Set(cloud.deliveries.slice(from).flatMap((d) => (d.targetArn.includes(':function:') && d.eventId ? [d.eventId] : [])));
}

describe('fault: ELB control plane outage (local cloud, handler on, Lambda\'s asynchronous retries)', () => {
  let cloud: LocalCloud;
  const lambdaLog: string[] = [];
  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      timeScale: OUTAGE_TIME_SCALE,
      workDir: '.local-cloud/fault-outage',
      context: NO_SCALE_OUT,
      verboseLog: (line) => {
        if (line.startsWith('[lambda ')) lambdaLog.push(line);
      },
    });
  }, 60_000);
  afterAll(async () => {
    await cloud?.close();
  });

  it('an outage of 30 s (6 s here): the handler retries inside its first invocation; deregistered before the reclaim', async () => {
    const instanceId = await servingInstance(cloud);
    const from = { deliveries: cloud.deliveries.length, invocations: cloud.invocations.length };
    const outage = serviceOutage({ service: 'elasticloadbalancing', when: fromLambda, forMs: 30_000 * OUTAGE_TIME_SCALE });
    const remove = cloud.gateway.injectFault(outage.intercept);
    try {
      const warnedAt = Date.now();
      const reclaimAt = cloud.fleet.interrupt(instanceId);
      await waitFor('deregistration in moto', async () => !(await registeredInMoto(cloud, instanceId)), 20_000);
      const deregisteredAt = Date.now();
      expect(deregisteredAt).toBeLessThan(reclaimAt.getTime());
      const ids = functionEventIds(cloud, from.deliveries);
      const invocation = await waitFor('the invocation to end', () => invocationFor(cloud, from.invocations, ids), 20_000);
      // One Lambda attempt: a retry from Lambda would have come a (simulated) minute later, halfway through the warning.
      expect(invocation.outcome).toEqual({ status: 'succeeded', attempts: 1 });
      expect(outage.injected).toBeGreaterThan(1);
      console.log(`30 s ELB outage (scaled ×${OUTAGE_TIME_SCALE}): deregistered ${deregisteredAt - warnedAt} ms after the warning (${((deregisteredAt - warnedAt) / OUTAGE_TIME_SCALE / 1000).toFixed(0)} s simulated) of ${reclaimAt.getTime() - warnedAt} ms; ${outage.injected} ELB calls failed`);
    } finally {
      remove();
    }
  }, 50_000);

  it('an outage that outlasts the warning: each invocation fails cleanly and logs it, Lambda retries a minute later, then the event is in the function DLQ in Lambda\'s format', async () => {
    const instanceId = await servingInstance(cloud);
    const from = { deliveries: cloud.deliveries.length, invocations: cloud.invocations.length, log: lambdaLog.length };
    const outage = serviceOutage({ service: 'elasticloadbalancing', when: fromLambda });
    const remove = cloud.gateway.injectFault(outage.intercept);
    try {
      const reclaimAt = cloud.fleet.interrupt(instanceId).getTime();
      const ids = await waitFor('the warning handed to the function', () => {
        const found = functionEventIds(cloud, from.deliveries);
        return found.size > 0 ? found : undefined;
      }, 10_000);
      const invocation = await waitFor('Lambda to give up', () => invocationFor(cloud, from.invocations, ids), 50_000);
      // The stack's MaximumEventAgeInSeconds (120 s, the warning's life) leaves room for one retry, a minute later.
      expect(invocation.outcome).toMatchObject({ status: 'dead-lettered', attempts: 2, condition: 'EventAgeExceeded' });
      // EventBridge handed the event over once: the function's failure is not the rule's to retry.
      const ruleDeliveries = cloud.deliveries.slice(from.deliveries).filter((d) => d.targetArn.includes(':function:') && ids.has(d.eventId ?? ''));
      expect(ruleDeliveries.map((d) => d.result)).toEqual([{ status: 'delivered', attempts: 1 }]);

      const received = await cloud.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: functionDeadLetterQueueUrl(cloud), MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
      );
      const parked = (received.Messages ?? []).find((m) => m.Body?.includes(instanceId));
      expect(parked, 'the event is in the dead-letter queue').toBeDefined();
      expect(JSON.parse(parked!.Body!)).toMatchObject({ 'detail-type': 'EC2 Spot Instance Interruption Warning', detail: { 'instance-id': instanceId } });
      expect(parked!.MessageAttributes?.RequestID?.StringValue).toBe(invocation.requestId);
      expect(parked!.MessageAttributes?.ErrorCode).toMatchObject({ DataType: 'Number', StringValue: '200' });
      expect(parked!.MessageAttributes?.ErrorMessage?.StringValue).toMatch(/ServiceUnavailable|unavailable/i);
      // A clean error, not a Lambda timeout: the handler logged the failure itself, once per invocation.
      const failures = lambdaLog.slice(from.log).filter((l) => l.includes('interruption event failed') && l.includes(instanceId));
      expect(failures).toHaveLength(2);
      expect(lambdaLog.slice(from.log).some((l) => l.includes('Task timed out'))).toBe(false);
      // The handler never got through: nothing deregistered the instance before its reclaim (after it, ELB drops the
      // terminated instance from the group, which drains it).
      expect(cloud.targetChanges.some((c) => c.id === instanceId && c.to === 'draining' && c.at < reclaimAt)).toBe(false);
    } finally {
      remove();
    }
  }, 90_000);

  it('moto itself gone: the dead-letter send fails too and the event is reported LOST, loudly', async () => {
    // The literal outage: the whole control plane, SQS included, is down. moto loses its state on restart, so
    // this runs last and only checks that nothing is lost silently.
    const pid = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'moto.server'], { encoding: 'utf8' }).trim().split('\n')[0];
    expect(pid).toMatch(/^\d+$/);
    process.kill(Number(pid), 'SIGKILL');
    await expect(cloud.publish(interruptionWarning('i-0123456789abcdef0'))).rejects.toBeInstanceOf(DeadLetterFailedError);
  }, 40_000);
});

describe('fault: the Lambda is never invoked (local cloud, handler off, instance watcher on)', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, timeScale: TIME_SCALE, handler: false, workDir: '.local-cloud/fault-no-lambda', context: NO_SCALE_OUT });
    await waitFor('two healthy targets', () => cloud.loadBalancer.targets().filter((t) => t.state === 'healthy').length >= 2, 20_000);
  }, 60_000);
  afterAll(async () => {
    await cloud?.close();
  });

  it('the watcher alone takes the instance out of service before termination; no request fails', async () => {
    const load = startLoad(cloud.url, 10);
    await new Promise((r) => setTimeout(r, 500));
    const instanceId = await servingInstance(cloud);
    const terminated = new Promise<number>((resolve) => cloud.fleet.on('terminated', (t) => t.instanceId === instanceId && resolve(Date.now())));
    const warnedAt = Date.now();
    cloud.fleet.interrupt(instanceId);
    const terminatedAt = await terminated;
    await new Promise((r) => setTimeout(r, 500));
    const report = await load.stop();

    const out = cloud.targetChanges.find((c) => c.at >= warnedAt && c.id === instanceId && c.from === 'healthy');
    console.log(`Lambda never invoked: ${report.requests} requests, ${report.failures} failed; out of service ${out ? out.at - warnedAt : '-'} ms after the warning (${out?.to}), terminated after ${terminatedAt - warnedAt} ms`, report.failuresByKind);
    expect(out, 'the target left service through its health checks').toBeDefined();
    // Nothing deregistered it (that would be `draining`): its failing health checks alone took it out of rotation.
    expect(out!.to).toBe('unhealthy');
    expect(out!.at).toBeLessThan(terminatedAt);
    expect(report.requests).toBeGreaterThan(100);
    expect(report.failures).toBe(0);
  }, 40_000);
});
