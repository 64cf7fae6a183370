// Zero-failure drain: concurrent clients through the whole interrupt → drain → terminate sequence, with the
// interruption path on (handler + instance watcher, the product) and off (neither: a naive deployment), each on
// its own local cloud at time scale 0.05. Figures: failed requests (and the failure rates' ratio, ours vs the
// control), p99 latency before vs during the sequence, and the drain as the data plane played it: how long after
// the warning the target left service, when the drain itself completed (nothing in flight, no connection open)
// and how long ELB's API showed it `draining` (until the deregistration delay ends, ELB user guide).
// Run: npm run bench -- drain   (BENCH_CLIENTS=50 by default)
import { countFromEnv, healthyIds, startQuietCloud, waitFor, waitForHealthy } from './cloud-helpers.js';
import { msAt, percentile, ratio } from './stats.js';
import { between, startTimedLoad } from './timed-load.js';

const CLIENTS = countFromEnv('BENCH_CLIENTS', 50);
const STEADY_MS = 2_000;

interface Figures {
  readonly name: string;
  readonly requests: number;
  readonly failed: number;
  readonly steady: number[];
  readonly during: number[];
  readonly sequenceMs: number;
  readonly drain: DrainTimes;
}

/** Milliseconds after the warning, as the data plane played the victim's target; undefined = not seen. */
interface DrainTimes {
  /** First seen out of service (draining, unhealthy or removed). */
  readonly outOfService?: number;
  readonly outAs?: string;
  /** The drain itself complete (local extra: ELB does not say). */
  readonly drainComplete?: number;
  /** No longer shown (ELB: unused). */
  readonly removed?: number;
}

/** Samples the victim's target every 50 ms until `stop()`: what a poller of the data plane would see. */
function followTarget(cloud: Awaited<ReturnType<typeof startQuietCloud>>, id: string, warnedAt: number): { stop(): DrainTimes } {
  const times: { outOfService?: number; outAs?: string; drainComplete?: number; removed?: number } = {};
  const sample = () => {
    const t = cloud.loadBalancer.targets().find((x) => x.id === id);
    const now = Date.now() - warnedAt;
    if (!t) times.removed ??= now;
    else if (t.state !== 'healthy' && times.outOfService === undefined) Object.assign(times, { outOfService: now, outAs: t.state });
    if (t?.drainCompletedAt !== undefined) times.drainComplete ??= t.drainCompletedAt - warnedAt;
  };
  const timer = setInterval(sample, 50);
  return {
    stop: () => {
      sample();
      clearInterval(timer);
      return times;
    },
  };
}

async function measure(name: string, on: boolean): Promise<Figures> {
  const cloud = await startQuietCloud({
    handler: on,
    spotWatcher: on,
    workDir: `.local-cloud/bench-drain-${on ? 'on' : 'off'}`,
    context: { requestsPerTarget: '1000000' },
  });
  try {
    await waitForHealthy(cloud, 2, 30_000);
    const load = startTimedLoad(cloud.url, CLIENTS);
    const loadStart = Date.now();
    await new Promise((r) => setTimeout(r, STEADY_MS));
    const id = healthyIds(cloud)[0]!;
    const terminated = new Promise<void>((resolve) => cloud.fleet.on('terminated', (t) => t.instanceId === id && resolve()));
    const warnedAt = Date.now();
    const follow = followTarget(cloud, id, warnedAt);
    cloud.fleet.interrupt(id);
    await terminated;
    // Until the replacement serves: the sequence ends with the fleet whole again.
    await waitFor('the fleet whole again', () => healthyIds(cloud).length >= 2, 30_000);
    // The target's display ends with the deregistration delay, which may outlast the reclaim by a moment.
    await waitFor('the target no longer shown', () => !cloud.loadBalancer.targets().some((t) => t.id === id), 30_000);
    const endedAt = Date.now();
    const drain = follow.stop();
    const samples = await load.stop();
    const during = between(samples, warnedAt, endedAt);
    return {
      name,
      requests: during.length,
      failed: during.filter((s) => !s.ok).length,
      steady: between(samples, loadStart + 500, warnedAt).map((s) => s.latencyMs),
      during: during.map((s) => s.latencyMs),
      sequenceMs: endedAt - warnedAt,
      drain,
    };
  } finally {
    await cloud.close();
  }
}

const print = console.log.bind(console);
const runs = [await measure('handler + watcher on', true), await measure('off (naive)', false)];
print(`Zero-failure drain on the local cloud (time scale 0.05: warning and drain 6 s), ${CLIENTS} concurrent keep-alive clients, node ${process.version}`);
print('');
print('                      requests during   failed   p99 before   p99 during   p99 change   sequence');
for (const r of runs) {
  const change = r.steady.length && r.during.length ? `${(percentile(r.during, 99) - percentile(r.steady, 99)).toFixed(1)} ms` : '-';
  print(`${r.name.padEnd(22)}${String(r.requests).padStart(15)}${String(r.failed).padStart(9)}${msAt(r.steady, 99).padStart(13)}${msAt(r.during, 99).padStart(13)}${change.padStart(13)}${`${(r.sequenceMs / 1000).toFixed(1)} s`.padStart(11)}`);
}
const [on, off] = runs as [Figures, Figures];
const rate = (r: Figures) => (r.requests === 0 ? 0 : r.failed / r.requests);
const pct = (r: Figures) => `${(100 * rate(r)).toFixed(2)}%`;
print(`failed requests, on vs off: ${on.failed} vs ${off.failed}, failure rate ${pct(on)} vs ${pct(off)} (ratio on/off ${rate(off) === 0 ? '-' : ratio(rate(on), rate(off))}; target 0 with the handler on: ${on.failed === 0 ? 'met' : 'NOT met'})`);
const p99Ratio = (r: Figures) => (r.steady.length && r.during.length ? ratio(percentile(r.during, 99), percentile(r.steady, 99)) : '-');
print(`p99 during / p99 before: on ${p99Ratio(on)}, off ${p99Ratio(off)}`);
print('');
print('The victim target, seconds after the warning (data plane sampled every 50 ms):');
print('                      out of service (as)     drain complete   no longer shown');
const sec = (v: number | undefined) => (v === undefined ? '-' : `${(v / 1000).toFixed(1)} s`);
for (const r of runs) {
  print(`${r.name.padEnd(22)}${`${sec(r.drain.outOfService)} (${r.drain.outAs ?? '-'})`.padStart(23)}${sec(r.drain.drainComplete).padStart(19)}${sec(r.drain.removed).padStart(18)}`);
}
