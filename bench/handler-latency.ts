// Per-event latency of the interruption handler against moto, ours (bundled) against the workshop baseline,
// interleaved in one process, with the API calls each event costs counted on the wire. Both go through the local
// cloud's gateway with ELB's target states (harness/target-group-front.ts), which ours reads after its
// DeregisterTargets (moto alone forgets a deregistered target, where ELB shows it draining).
// Run: npx tsx bench/handler-latency.ts
import { createRequire } from 'node:module';
import { interruptionWarning } from '../harness/ec2-events.js';
import { createFleetFixture, registeredIds } from '../harness/fleet-fixture.js';
import { startTargetGroupFront, type TargetGroupFront } from '../harness/target-group-front.js';
import { AwsGateway } from '../local/gateway.js';
import { startMoto } from '../local/moto-server.js';
import { TARGET_GROUP_TAG } from './baseline/handler.js';
import { buildHandlers } from './build-handlers.js';
import { startCountingProxy } from './counting-proxy.js';
import { median, ms, percentile, ratio } from './stats.js';
import { localAwsEnvironment } from '../local/contract.js';

const EVENTS = 100;
// The first call of each handler resolves credentials and endpoints; reported apart from the steady state.
const WARM_UPS = 1;

type Handler = (event: unknown) => Promise<unknown>;
interface Run {
  readonly name: string;
  readonly handler: Handler;
  readonly instanceIds: readonly string[];
  readonly latencies: number[];
  readonly calls: Record<string, number>;
  firstCallMs: number;
}

const built = await buildHandlers();
const moto = await startMoto();
const gateway = new AwsGateway({ upstream: moto.endpoint });
const proxy = await startCountingProxy(await gateway.start());
let front: TargetGroupFront | undefined;
try {
  const perHandler = EVENTS + WARM_UPS;
  const fleet = await createFleetFixture(moto.endpoint, {
    fleetInstances: 2 * perHandler,
    foreignInstances: 0,
    fleetTags: (targetGroupArn) => [{ Key: TARGET_GROUP_TAG, Value: targetGroupArn }],
  });
  front = await startTargetGroupFront(gateway, moto.endpoint, [fleet.targetGroupArn]);

  Object.assign(process.env, {
    ...localAwsEnvironment(proxy.endpoint, 'us-east-1'),
    TARGET_GROUP_ARNS: fleet.targetGroupArn,
    DEREGISTRATION_DELAY_SECONDS: '120',
    POWERTOOLS_SERVICE_NAME: 'interruption-handler',
    POWERTOOLS_METRICS_NAMESPACE: 'spotweb',
    // Logging is silenced for both handlers alike: the figures are about the work, not the terminal.
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const load = createRequire(import.meta.url);
  const runs: Run[] = [
    { name: 'ours (bundled)', handler: (load(built.bundled) as { handler: Handler }).handler, instanceIds: fleet.fleetInstanceIds.slice(0, perHandler), latencies: [], calls: {}, firstCallMs: 0 },
    { name: 'baseline (workshop)', handler: (load(built.baseline) as { handler: Handler }).handler, instanceIds: fleet.fleetInstanceIds.slice(perHandler), latencies: [], calls: {}, firstCallMs: 0 },
  ];

  const log = console.log;
  console.log = () => undefined;
  try {
    for (let i = 0; i < perHandler; i++) {
      // Alternate who goes first, so neither always runs on a just-warmed moto.
      for (const run of i % 2 === 0 ? runs : [...runs].reverse()) {
        proxy.reset();
        const start = performance.now();
        await run.handler(interruptionWarning(run.instanceIds[i]!));
        const elapsed = performance.now() - start;
        if (i < WARM_UPS) {
          run.firstCallMs = elapsed;
          continue;
        }
        run.latencies.push(elapsed);
        for (const [action, count] of Object.entries(proxy.counts())) run.calls[action] = (run.calls[action] ?? 0) + count;
      }
    }
  } finally {
    console.log = log;
  }

  const left = await registeredIds(fleet.elbv2, fleet.targetGroupArn);
  console.log(`Interruption handler latency against moto 5.2 (through a counting proxy and the gateway), ${EVENTS} events each after ${WARM_UPS} warm-up, node ${process.version}`);
  console.log('');
  console.log('                        first call       p50       p99      mean   API calls/event');
  for (const run of runs) {
    const total = Object.values(run.calls).reduce((a, b) => a + b, 0);
    const breakdown = Object.entries(run.calls).map(([action, n]) => `${action} ${(n / EVENTS).toFixed(2)}`).join(', ');
    const mean = run.latencies.reduce((a, b) => a + b, 0) / run.latencies.length;
    console.log(
      `${run.name.padEnd(22)}${ms(run.firstCallMs).padStart(12)}${ms(median(run.latencies)).padStart(10)}` +
        `${ms(percentile(run.latencies, 99)).padStart(10)}${ms(mean).padStart(10)}${(total / EVENTS).toFixed(2).padStart(18)}  (${breakdown})`,
    );
  }
  const [ours, baseline] = runs as [Run, Run];
  console.log('');
  console.log(`p50 ratio ours/baseline: ${ratio(median(ours.latencies), median(baseline.latencies))}; p99 ratio: ${ratio(percentile(ours.latencies, 99), percentile(baseline.latencies, 99))}`);
  console.log(`instances still registered after all events: ${left.length} (expected 0)`);
} finally {
  await front?.close();
  await proxy.stop();
  await gateway.close();
  await moto.stop();
}
