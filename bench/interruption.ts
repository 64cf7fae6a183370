// The interruption path on the local cloud, ours against the workshop-style handler, each on its own local cloud
// with the instance watcher off (so only the handler takes instances out of service):
//  - mass interruption: a fleet of 50 warned at once; time until every instance is out of service, none missed;
//  - per event: 100 interruptions one after another; warning → target out of service (ALB draining), p50/p99.
// "Out of service" is the moment the local ALB stops routing new requests to the target: the handler's
// DeregisterTargets, then the ALB's sync with the control plane (polled every 100 ms, as the ALB learns it).
// An instance still in service when the warning ends (the reclaim) counts as missed.
// Run: npm run bench -- interruption   (BENCH_FLEET=50 BENCH_INTERRUPTIONS=100 by default)
import type { LocalCloud } from '../local/cloud.js';
import { countFromEnv, outOfServiceAt, driveBaselineHandler, healthyIds, startQuietCloud, waitFor, waitForHealthy } from './cloud-helpers.js';
import { ms, msAt, percentile, ratio } from './stats.js';

const FLEET = countFromEnv('BENCH_FLEET', 50);
const INTERRUPTIONS = countFromEnv('BENCH_INTERRUPTIONS', 100);
const TIME_SCALE = 0.05;
const WARNING_MS = 120_000 * TIME_SCALE;

interface Figures {
  readonly name: string;
  readonly massAllOutMs: number;
  readonly massMissed: number;
  readonly massLatencies: number[];
  readonly latencies: number[];
  readonly missed: number;
  readonly errors: number;
}

const print = console.log.bind(console);
console.log = () => undefined;

async function massInterruption(cloud: LocalCloud): Promise<{ allOutMs: number; missed: number; latencies: number[] }> {
  const ids = healthyIds(cloud).slice(0, FLEET);
  const warnedAt = Date.now();
  for (const id of ids) cloud.fleet.interrupt(id);
  await waitFor('every warned instance out of service or reclaimed', () => ids.every((id) => outOfServiceAt(cloud, id, warnedAt, warnedAt + WARNING_MS) !== undefined) || Date.now() > warnedAt + WARNING_MS, WARNING_MS + 5_000);
  const outAt = ids.map((id) => outOfServiceAt(cloud, id, warnedAt, warnedAt + WARNING_MS));
  const latencies = outAt.flatMap((at) => (at === undefined ? [] : [at - warnedAt]));
  return { allOutMs: Math.max(...latencies), missed: outAt.filter((at) => at === undefined).length, latencies };
}

async function oneAfterAnother(cloud: LocalCloud): Promise<{ latencies: number[]; missed: number }> {
  const latencies: number[] = [];
  let missed = 0;
  for (let i = 0; i < INTERRUPTIONS; i++) {
    const id = await waitFor('a healthy instance', () => healthyIds(cloud)[0], 60_000);
    const warnedAt = Date.now();
    cloud.fleet.interrupt(id);
    const outAt = await waitFor('out of service', () => outOfServiceAt(cloud, id, warnedAt, warnedAt + WARNING_MS) ?? (Date.now() > warnedAt + WARNING_MS ? -1 : undefined), WARNING_MS + 5_000);
    if (outAt < 0) missed++;
    else latencies.push(outAt - warnedAt);
  }
  return { latencies, missed };
}

async function measure(name: string, handler: boolean): Promise<Figures> {
  const cloud = await startQuietCloud({
    handler,
    spotWatcher: false,
    workDir: `.local-cloud/bench-interruption-${handler ? 'ours' : 'baseline'}`,
    context: { targetCapacity: String(FLEET), minCapacity: String(FLEET), maxCapacity: String(FLEET), requestsPerTarget: '1000000' },
  });
  try {
    const baseline = handler ? undefined : await driveBaselineHandler(cloud);
    await waitForHealthy(cloud, FLEET);
    const mass = await massInterruption(cloud);
    // The fleet replaces what was reclaimed; the one-by-one run starts on a full fleet again.
    await waitForHealthy(cloud, FLEET);
    const serial = await oneAfterAnother(cloud);
    const lambdaErrors = cloud.deliveries.filter((d) => d.targetArn.includes(':function:') && d.result.status !== 'delivered').length;
    return { name, massAllOutMs: mass.allOutMs, massMissed: mass.missed, massLatencies: mass.latencies, ...serial, errors: lambdaErrors + (baseline?.errors.length ?? 0) };
  } finally {
    await cloud.close();
  }
}

const started = Date.now();
const runs = [await measure('ours (EventBridge → Lambda)', true), await measure('baseline (workshop handler)', false)];
const [ours, baseline] = runs as [Figures, Figures];

print(`Interruption path on the local cloud (time scale ${TIME_SCALE}: the warning lasts ${WARNING_MS / 1000} s), instance watcher off, node ${process.version}`);
print('');
print(`Mass interruption: ${FLEET} instances warned at once`);
print('                               all out of service   p50 per instance   missed   handler errors');
for (const r of runs) {
  print(`${r.name.padEnd(31)}${ms(r.massAllOutMs).padStart(18)}${msAt(r.massLatencies, 50).padStart(19)}${String(r.massMissed).padStart(9)}${String(r.errors).padStart(17)}`);
}
print(`ratio ours/baseline (all out of service): ${ratio(ours.massAllOutMs, baseline.massAllOutMs)}`);
print('');
print(`One after another: ${INTERRUPTIONS} interruptions, warning → target out of service`);
print('                                     p50       p90       p99       max   missed');
for (const r of runs) {
  print(
    `${r.name.padEnd(31)}${msAt(r.latencies, 50).padStart(10)}${msAt(r.latencies, 90).padStart(10)}${msAt(r.latencies, 99).padStart(10)}` +
      `${msAt(r.latencies, 100).padStart(10)}${String(r.missed).padStart(9)}`,
  );
}
print(`p99 ratio ours/baseline: ${ratio(percentile(ours.latencies, 99), percentile(baseline.latencies, 99))}; target p99 <= 200 ms: ${percentile(ours.latencies, 99) <= 200 ? 'met' : 'NOT met'}`);
print(`(benchmark took ${Math.round((Date.now() - started) / 1000)} s)`);
