// A burst of invocations on the local Lambda runtime alone (no moto, no event bus): 50 at once on up to 8 execution
// environments, each environment loading our handler bundle in its init phase and each invocation waiting 150 ms
// (about what the handler's three API calls take), with at most as many inits at once as there are cores (the
// runtime's default, LambdaPool.maxInitializing) against all 8 at once (the control group), interleaved, three
// times: when the first, the median and the last invocation returned.
// Run: npm run bench -- lambda-burst   (BENCH_RUNS=3 BENCH_BURST=50)
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MAX_CONCURRENCY, LambdaPool } from '../local/lambda/pool.js';
import { buildHandlers, HANDLER_ENVIRONMENT } from './build-handlers.js';
import { countFromEnv } from './cloud-helpers.js';
import { median, ms, msCell, ratioCell, runsCell } from './stats.js';

const RUNS = countFromEnv('BENCH_RUNS', 3);
const BURST = countFromEnv('BENCH_BURST', 50);
const CORES = availableParallelism();

const built = await buildHandlers();
const dir = mkdtempSync(join(tmpdir(), 'lambda-burst-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
copyFileSync(built.bundled, join(dir, 'ours.js'));
writeFileSync(join(dir, 'index.js'), "require('./ours.js');\nexports.handler = async () => { await new Promise((r) => setTimeout(r, 150)); return 1; };\n");
writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');

interface Burst {
  readonly first: number;
  readonly median: number;
  readonly last: number;
}

async function burst(maxInitializing: number): Promise<Burst> {
  const pool = new LambdaPool({ assetDir: dir, handler: 'index.handler', functionName: 'burst', timeoutMs: 60_000, environment: HANDLER_ENVIRONMENT, maxInitializing });
  const started = performance.now();
  const returned: number[] = [];
  try {
    await Promise.all(Array.from({ length: BURST }, () => pool.invoke({}).then(() => returned.push(performance.now() - started))));
  } finally {
    await pool.close();
  }
  return { first: Math.min(...returned), median: median(returned), last: Math.max(...returned) };
}

const limits = { [`${CORES} inits at once (cores)`]: CORES, [`${DEFAULT_MAX_CONCURRENCY} inits at once (control)`]: DEFAULT_MAX_CONCURRENCY };
const results: Array<Record<string, Burst>> = [];
console.log(`${BURST} invocations at once on up to ${DEFAULT_MAX_CONCURRENCY} environments, node ${process.version}, ${CORES} cores, ${RUNS} run(s)`);
for (let run = 0; run < RUNS; run++) {
  const byLimit: Record<string, Burst> = {};
  for (const [label, limit] of Object.entries(limits)) byLimit[label] = await burst(limit);
  results.push(byLimit);
  console.log(`Run ${run + 1}: ${Object.entries(byLimit).map(([label, b]) => `${label}: first ${ms(b.first)}, median ${ms(b.median)}, last ${ms(b.last)}`).join('; ')}`);
}
const [limited, control] = Object.keys(limits) as [string, string];
console.log('');
console.log('| returned | cores inits at once | all 8 at once | ratio |');
console.log('|---|---|---|---|');
for (const key of ['first', 'median', 'last'] as const) {
  console.log(
    `| ${key} | ${runsCell(results.map((r) => r[limited]![key]), msCell)} | ${runsCell(results.map((r) => r[control]![key]), msCell)} | ` +
      `${runsCell(results.map((r) => r[limited]![key] / r[control]![key]), ratioCell)} |`,
  );
}
