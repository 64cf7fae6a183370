import type { SimulatedClock } from '../clock.js';
import type { AwsClients } from '../deploy/clients.js';
import type { DeployedStack } from '../deploy/deploy.js';
import type { DeliveryReport } from '../events/bus.js';
import type { DeliveryFailure, InvocationAttempt } from '../events/stack-targets.js';
import { resourcesOfType } from '../stack-reader.js';
import { AlarmEngine, type AlarmStatus } from './alarm-engine.js';
import type { AlarmChange } from './alarm-notification.js';
import { LocalMetrics, type LoadBalancerSource } from './local-metrics.js';
import { MetricStore } from './metric-store.js';

export type { AlarmStatus } from './alarm-engine.js';
export type { AlarmChange } from './alarm-notification.js';

export interface LocalAlarmsProps {
  readonly deployed: DeployedStack;
  readonly clients: AwsClients;
  readonly loadBalancer: LoadBalancerSource;
  readonly fleet: { readonly capacity: number; instances(): readonly unknown[] };
  readonly fleetRequestId: string;
  readonly deliveries: readonly DeliveryReport[];
  readonly invocationAttempts: readonly InvocationAttempt[];
  readonly deliveryFailures: readonly DeliveryFailure[];
  /** The local cloud's simulated time: alarm periods are AWS durations. */
  readonly clock: SimulatedClock;
  readonly region: string;
  readonly accountId: string;
  readonly onChange: (change: AlarmChange) => void;
  readonly log: (line: string) => void;
}

export interface LocalAlarms {
  statuses(): AlarmStatus[];
  /** Alarms the local cloud cannot evaluate (each said in a `note:` line): they keep their deployed state. */
  readonly unevaluated: readonly string[];
  /** Samples and evaluates now (tests; the timer does it once per simulated minute). */
  evaluateNow(): Promise<void>;
  close(): Promise<void>;
}

/**
 * CloudWatch for the local cloud: the stack's metrics produced from the local parts, and its alarms evaluated
 * against them once per simulated minute, with state changes recorded in moto and notified to the alarms' topics.
 */
export async function startLocalAlarms(props: LocalAlarmsProps): Promise<LocalAlarms> {
  const { deployed, clock } = props;
  // CloudWatch's periods are aligned on AWS time, which the clock compresses: a timeline that starts now and runs
  // at AWS speed from there (one simulated minute per clock.toReal(60 s) of real time).
  const started = clock.now();
  const now = (): number => started + clock.toAws(clock.now() - started);
  const minuteMs = clock.toReal(60_000);
  const store = new MetricStore();
  const single = (type: string, attribute: string): string => {
    const found = resourcesOfType(deployed, type);
    if (found.length !== 1) throw new Error(`local CloudWatch: expected one ${type} in the stack, found ${found.length}`);
    return String(found[0]!.attributes[attribute]);
  };
  const metrics = new LocalMetrics(
    {
      loadBalancer: props.loadBalancer,
      loadBalancerFullName: single('AWS::ElasticLoadBalancingV2::LoadBalancer', 'LoadBalancerFullName'),
      targetGroupFullName: single('AWS::ElasticLoadBalancingV2::TargetGroup', 'TargetGroupFullName'),
      fleet: props.fleet,
      fleetRequestId: props.fleetRequestId,
      sqs: props.clients.sqs,
      queues: resourcesOfType(deployed, 'AWS::SQS::Queue').map((q) => ({ name: String(q.attributes.QueueName), url: q.physicalId })),
      deliveries: props.deliveries,
      invocationAttempts: props.invocationAttempts,
      deliveryFailures: props.deliveryFailures,
    },
    store,
    now,
  );
  // Gauges are sampled four times per simulated minute (at most once a real second), so a minute's Minimum and
  // Maximum see short dips, as ELB's per-minute samples do.
  const sampleEveryMs = Math.max(1_000, minuteMs / 4);
  const sampler = setInterval(() => void metrics.sample().catch((e: Error) => props.log(`  CloudWatch metrics: ${e.message}`)), sampleEveryMs);
  sampler.unref();

  const engine = new AlarmEngine({
    cloudwatch: props.clients.cloudwatch,
    sns: props.clients.sns,
    alarmNames: resourcesOfType(deployed, 'AWS::CloudWatch::Alarm').map((a) => a.physicalId),
    store,
    now,
    evaluateEveryMs: minuteMs,
    beforeEvaluation: () => metrics.sample(),
    region: props.region,
    accountId: props.accountId,
    onChange: props.onChange,
    onError: (e) => props.log(`  CloudWatch alarm evaluation: ${e.message}`),
  });
  const unsupported = await engine.start();
  for (const u of unsupported) props.log(`  note: ${u.reason}`);
  return {
    statuses: () => engine.statuses(),
    unevaluated: unsupported.map((u) => u.name),
    evaluateNow: () => engine.evaluateNow(),
    close: async () => {
      clearInterval(sampler);
      await engine.stop();
    },
  };
}
