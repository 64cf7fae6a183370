// Zero-failure drain: concurrent clients through the whole interrupt → drain → terminate sequence, with the
// interruption path on (handler + instance watcher, the product) and off (neither: a naive deployment), each on
// its own local cloud at time scale 0.05. Figures: failed requests, and p99 latency before vs during the sequence.
// Run: npm run bench -- drain   (BENCH_CLIENTS=50 by default)
import { countFromEnv, healthyIds, startQuietCloud, waitFor, waitForHealthy } from './cloud-helpers.js';
import { msAt, percentile } from './stats.js';
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
    cloud.fleet.interrupt(id);
    await terminated;
    // Until the replacement serves: the sequence ends with the fleet whole again.
    await waitFor('the fleet whole again', () => healthyIds(cloud).length >= 2, 30_000);
    const endedAt = Date.now();
    const samples = await load.stop();
    const during = between(samples, warnedAt, endedAt);
    return {
      name,
      requests: during.length,
      failed: during.filter((s) => !s.ok).length,
      steady: between(samples, loadStart + 500, warnedAt).map((s) => s.latencyMs),
      during: during.map((s) => s.latencyMs),
      sequenceMs: endedAt - warnedAt,
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
print(`failed requests, on vs off: ${on.failed} vs ${off.failed} (target 0 with the handler on: ${on.failed === 0 ? 'met' : 'NOT met'})`);
