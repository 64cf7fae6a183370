// `npm run bench [name…]`: runs the benchmarks one after another (each in its own process, so one's servers and
// timers cannot skew the next), printing each one's figures. Names: the files in bench/ listed below.
import { spawnSync } from 'node:child_process';

const BENCHMARKS = ['handler-cold-start', 'handler-latency', 'lambda-burst', 'target-sync-poll', 'interruption', 'drain', 'scale-out', 'startup', 'roll', 'iam-enforcement'] as const;

const asked = process.argv.slice(2);
const unknown = asked.filter((n) => !(BENCHMARKS as readonly string[]).includes(n));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${BENCHMARKS.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const name of asked.length > 0 ? asked : BENCHMARKS) {
  console.log(`\n=== ${name} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`${name} failed (exit ${result.status ?? result.signal})`);
  }
}
process.exit(failed > 0 ? 1 : 0);
