// Scale-out: sustained load above the target value on the local cloud (time scale 0.05). Figures: time until the
// fleet serves the capacity target tracking asks for, and requests failed meanwhile; side by side with the same
// load on a fleet that cannot scale (min = max = 2), measured in the same run.
// Run: npm run bench -- scale-out   (BENCH_SCALE_CLIENTS=4 by default)
import { countFromEnv, healthyIds, startQuietCloud, waitFor, waitForHealthy } from './cloud-helpers.js';
import { msAt } from './stats.js';
import { SimulatedClock } from '../local/clock.js';
import { startTimedLoad } from './timed-load.js';

const TIME_SCALE = 0.05;
const CLOCK = new SimulatedClock(TIME_SCALE);
const CLIENTS = countFromEnv('BENCH_SCALE_CLIENTS', 4);
const MAX = 4;

interface Figures {
  readonly name: string;
  readonly reachedMs?: number;
  readonly requests: number;
  readonly failed: number;
  readonly latencies: number[];
}

async function measure(name: string, maxCapacity: number, durationMs?: number): Promise<Figures> {
  const cloud = await startQuietCloud({
    timeScale: TIME_SCALE,
    workDir: `.local-cloud/bench-scale-${maxCapacity}`,
    context: { requestsPerTarget: '600', minCapacity: '2', maxCapacity: String(maxCapacity) },
  });
  try {
    await waitForHealthy(cloud, 2, 30_000);
    const load = startTimedLoad(cloud.url, CLIENTS);
    const started = Date.now();
    let reachedMs: number | undefined;
    if (durationMs === undefined) {
      // The load is thousands of requests a minute per target against a target value of 600: target tracking asks
      // for more than maxCapacity, so the capacity it asks for is maxCapacity.
      await waitFor(`capacity ${maxCapacity} in service`, () => cloud.fleet.capacity === maxCapacity && healthyIds(cloud).length >= maxCapacity, 120_000);
      reachedMs = Date.now() - started;
    } else {
      await new Promise((r) => setTimeout(r, durationMs));
    }
    const samples = await load.stop();
    return { name, reachedMs, requests: samples.length, failed: samples.filter((s) => !s.ok).length, latencies: samples.map((s) => s.latencyMs) };
  } finally {
    await cloud.close();
  }
}

const print = console.log.bind(console);
const scaling = await measure(`target tracking (2..${MAX})`, MAX);
const fixed = await measure('fixed fleet (2)', 2, scaling.reachedMs);
print(`Scale-out on the local cloud (time scale ${TIME_SCALE}: a minute lasts 3 s), ${CLIENTS} keep-alive clients, target 600 requests/target/min, node ${process.version}`);
print('');
print('                             capacity reached (local / AWS-equivalent)   requests   failed   p50        p99');
for (const r of [scaling, fixed]) {
  const reached = r.reachedMs === undefined ? '-' : `${(r.reachedMs / 1000).toFixed(1)} s / ${(CLOCK.toAws(r.reachedMs) / 60_000).toFixed(1)} min`;
  print(`${r.name.padEnd(29)}${reached.padStart(34)}${String(r.requests).padStart(20)}${String(r.failed).padStart(9)}${msAt(r.latencies, 50).padStart(10)}${msAt(r.latencies, 99).padStart(11)}`);
}
print(`failed requests while scaling out: ${scaling.failed} (target 0: ${scaling.failed === 0 ? 'met' : 'NOT met'})`);
