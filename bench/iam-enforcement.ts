// What moto's IAM enforcement costs the local cloud: start-up (to startLocalCloud resolved: deployed, instances
// healthy) and one AWS call through the endpoint, with enforcement on and off, alternating in one run.
// Run: npm run bench -- iam-enforcement   (BENCH_STARTS=3 each by default)
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalCloud } from '../local/cloud.js';
import { countFromEnv, startQuietCloud } from './cloud-helpers.js';
import { median } from './stats.js';

const STARTS = countFromEnv('BENCH_STARTS', 3);
const CALLS = 200;

async function callMs(cloud: LocalCloud): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const started = performance.now();
    await cloud.clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: cloud.targetGroupArn }));
    times.push(performance.now() - started);
  }
  return median(times);
}

const results: Record<'on' | 'off', { startMs: number[]; callMs: number[] }> = { on: { startMs: [], callMs: [] }, off: { startMs: [], callMs: [] } };
const scratch = mkdtempSync(join(process.cwd(), '.local-cloud-bench-iam-'));
try {
  for (let i = 0; i < STARTS; i++) {
    // Alternating, so a machine that gets busier during the run weighs on both alike.
    for (const mode of i % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      const started = performance.now();
      const cloud = await startQuietCloud({ workDir: join(scratch, `${mode}-${i}`), enforceIam: mode === 'on' });
      results[mode].startMs.push(performance.now() - started);
      try {
        results[mode].callMs.push(await callMs(cloud));
      } finally {
        await cloud.close();
      }
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const on = { start: median(results.on.startMs), call: median(results.on.callMs) };
const off = { start: median(results.off.startMs), call: median(results.off.callMs) };
console.log(`IAM enforcement on vs off, ${STARTS} starts each (time scale 0.05), node ${process.version}`);
console.log(`start-up (startLocalCloud resolved)  on median ${s(on.start)} (${results.on.startMs.map(s).join(', ')})   off median ${s(off.start)} (${results.off.startMs.map(s).join(', ')})   ratio ${(on.start / off.start).toFixed(2)}`);
console.log(`DescribeTargetHealth through the endpoint, median of ${CALLS}   on ${on.call.toFixed(1)} ms   off ${off.call.toFixed(1)} ms   ratio ${(on.call / off.call).toFixed(2)}`);
