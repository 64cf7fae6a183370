// Faults of the interruption path that need the whole local cloud: the ELB control plane down while a warning
// arrives (short and long), the Lambda never invoked, and moto itself gone.
import { execFileSync } from 'node:child_process';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { DeadLetterFailedError } from '../../local/events/delivery.js';
import { fromLambda, serviceOutage } from '../../local/faults.js';
import { rulesOf } from '../../local/stack-reader.js';
import { interruptionWarning } from '../../harness/ec2-events.js';
import { startLoad } from '../support/load.js';
import { waitFor } from '../../harness/wait-for.js';

// 0.05: the warning and the drain take 6 s; the rule's retry policy (8 attempts / 120 s) becomes 6 s.
const TIME_SCALE = 0.05;
const NO_SCALE_OUT = { requestsPerTarget: '1000000' };

async function registeredInMoto(cloud: LocalCloud, instanceId: string): Promise<boolean> {
  const out = await cloud.clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: cloud.targetGroupArn }));
  return (out.TargetHealthDescriptions ?? []).some((d) => d.Target?.Id === instanceId);
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

function handlerDeliveries(cloud: LocalCloud, from: number) {
  return cloud.deliveries.slice(from).filter((d) => d.targetArn.includes(':function:'));
}

/** The handler target's dead-letter queue URL, as the stack wires it. */
function deadLetterQueueUrl(cloud: LocalCloud): string {
  const target = rulesOf(cloud.deployed)
    .flatMap((r) => r.targets)
    .find((t) => t.Arn.includes(':function:'));
  const arn = target?.DeadLetterConfig?.Arn;
  const queue = Object.values(cloud.deployed.resources).find((r) => r.type === 'AWS::SQS::Queue' && r.attributes.Arn === arn);
  if (!queue) throw new Error(`no dead-letter queue for the handler target (${arn})`);
  return queue.attributes.QueueUrl as string;
}

describe('fault: ELB control plane outage (local cloud, handler on)', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, timeScale: TIME_SCALE, workDir: '.local-cloud/fault-outage', context: NO_SCALE_OUT });
  }, 60_000);
  afterAll(async () => {
    await cloud?.close();
  });

  it('an outage shorter than the retry window: the handler fails, EventBridge retries, the instance is deregistered before the reclaim', async () => {
    const instanceId = await servingInstance(cloud);
    const from = cloud.deliveries.length;
    // 1.5 s of a 6 s retry window (30 s of the rule's 120 s at this time scale).
    const outage = serviceOutage({ service: 'elasticloadbalancing', when: fromLambda, forMs: 1500 });
    const remove = cloud.gateway.intercept(outage.intercept);
    try {
      const reclaimAt = cloud.fleet.interrupt(instanceId);
      await waitFor('deregistration in moto', async () => !(await registeredInMoto(cloud, instanceId)), 10_000);
      expect(Date.now()).toBeLessThan(reclaimAt.getTime());
      const delivery = await waitFor('the handler delivery', () => handlerDeliveries(cloud, from)[0], 10_000);
      expect(delivery.result.status).toBe('delivered');
      expect(delivery.result.attempts).toBeGreaterThan(1);
      expect(outage.injected).toBeGreaterThan(0);
    } finally {
      remove();
    }
  }, 30_000);

  it('an outage that outlasts the retry policy: every retry fails, then the event is parked in the dead-letter queue', async () => {
    const instanceId = await servingInstance(cloud);
    const from = cloud.deliveries.length;
    const outage = serviceOutage({ service: 'elasticloadbalancing', when: fromLambda });
    const remove = cloud.gateway.intercept(outage.intercept);
    try {
      cloud.fleet.interrupt(instanceId);
      const delivery = await waitFor('the handler delivery to give up', () => handlerDeliveries(cloud, from)[0], 20_000);
      expect(delivery.result.status).toBe('dead-lettered');
      expect(delivery.result.attempts).toBeGreaterThan(1);
      if (delivery.result.status !== 'dead-lettered') return;
      const queueUrl = deadLetterQueueUrl(cloud);
      const received = await cloud.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }));
      const parked = (received.Messages ?? []).find((m) => m.Body?.includes(instanceId));
      expect(parked, 'the event is in the dead-letter queue').toBeDefined();
      expect(JSON.parse(parked!.Body!)).toMatchObject({ 'detail-type': 'EC2 Spot Instance Interruption Warning', detail: { 'instance-id': instanceId } });
      expect(parked!.MessageAttributes?.RETRY_ATTEMPTS?.StringValue).toBe(String(delivery.result.retryAttempts));
      expect(parked!.MessageAttributes?.EXHAUSTED_RETRY_CONDITION?.StringValue).toMatch(/MaximumRetryAttempts|MaximumEventAgeInSeconds/);
      // The handler never got through, so moto still has the instance registered.
      expect(await registeredInMoto(cloud, instanceId)).toBe(true);
    } finally {
      remove();
    }
  }, 40_000);

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
