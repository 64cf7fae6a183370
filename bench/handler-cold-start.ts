// Cold start of the interruption handler: time to load the handler module and construct its clients, each
// sample in a fresh Node process, ours (bundled) against the workshop baseline (unbundled SDK) in the same run.
// Run: npx tsx bench/handler-cold-start.ts
// Before/after in one run: COLD_START_COMPARE=<another checkout> adds that checkout's handler, bundled the same way.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { handlerBuildOptions } from '../infra/handler-bundling.js';
import { buildHandlers } from './build-handlers.js';
import { median, ms, percentile, ratio } from './stats.js';

const RUNS = 25;
const WARM_UPS = 2;

// Measured inside the child so Node's own start-up is excluded: load the module, then build the clients the
// first invocation would use (ours does that while loading; the baseline on every call).
const PROBE = `
const { statSync } = require('node:fs');
const start = process.hrtime.bigint();
const mod = require(process.argv[1]);
if (typeof mod.createClients === 'function') mod.createClients();
const initMs = Number(process.hrtime.bigint() - start) / 1e6;
const files = Object.keys(require.cache);
const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
process.stdout.write(JSON.stringify({ initMs, modules: files.length, bytes }));
`;

const ENV = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  TARGET_GROUP_ARNS: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef',
  DEREGISTRATION_DELAY_SECONDS: '120',
  TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:interruptions',
  CONFIRMATION_TABLE_NAME: 'spotweb-confirmations',
  POWERTOOLS_SERVICE_NAME: 'interruption-handler',
  POWERTOOLS_METRICS_NAMESPACE: 'spotweb',
};

interface Sample {
  initMs: number;
  processMs: number;
  modules: number;
  bytes: number;
}

function sample(file: string): Sample {
  const start = process.hrtime.bigint();
  const out = execFileSync(process.execPath, ['-e', PROBE, file], { env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const processMs = Number(process.hrtime.bigint() - start) / 1e6;
  return { ...(JSON.parse(out) as Omit<Sample, 'processMs'>), processMs };
}

// Two floors, to show how loaded the machine is while the figures are taken and what is left to win: the Node
// built-ins the SDK itself needs, which no handler can go below, and one SDK client bundled as ours is, which
// no handler built on the SDK v3 can go below.
const floorDir = mkdtempSync(join(tmpdir(), 'cold-start-'));
const floor = join(floorDir, 'floor.cjs');
writeFileSync(floor, ['crypto', 'http', 'https', 'stream', 'os', 'fs'].map((m) => `require('node:${m}');`).join('\n'));
const oneClient = join(floorDir, 'one-client.cjs');
await build({ ...handlerBuildOptions(oneClient), entryPoints: [join(dirname(fileURLToPath(import.meta.url)), 'floors/one-client.ts')] });

const compareDir = process.env.COLD_START_COMPARE;
const compared = join(floorDir, 'compared.cjs');
if (compareDir) await build({ ...handlerBuildOptions(compared), entryPoints: [join(compareDir, 'handlers/interruption/index.ts')] });

const built = await buildHandlers();
const samples = { ours: [] as Sample[], baseline: [] as Sample[], oneClient: [] as Sample[], floor: [] as Sample[], compared: [] as Sample[] };
for (let i = 0; i < WARM_UPS + RUNS; i++) {
  // Interleaved, so drift in machine load hits all alike.
  const round = {
    ours: sample(built.bundled),
    baseline: sample(built.baseline),
    oneClient: sample(oneClient),
    floor: sample(floor),
    compared: compareDir ? sample(compared) : undefined,
  };
  if (i >= WARM_UPS) {
    for (const key of Object.keys(samples) as (keyof typeof samples)[]) if (round[key]) samples[key].push(round[key]);
  }
}

const summary = (s: Sample[]) => ({
  init: median(s.map((x) => x.initMs)),
  initMin: Math.min(...s.map((x) => x.initMs)),
  initP90: percentile(s.map((x) => x.initMs), 90),
  process: median(s.map((x) => x.processMs)),
  modules: s[0]!.modules,
  kib: s[0]!.bytes / 1024,
});
const ours = summary(samples.ours);
const baseline = summary(samples.baseline);

console.log(`Interruption handler cold start, ${RUNS} fresh processes each (after ${WARM_UPS} warm-ups), node ${process.version}`);
console.log(`bundle: ${(built.bundleBytes / 1024).toFixed(1)} KiB minified, ${(built.bundleGzipBytes / 1024).toFixed(1)} KiB gzipped`);
console.log('');
console.log('                       init median   init min   init p90   process median   modules loaded   bytes loaded');
const rows = [
  ['ours (bundled)', ours],
  ['baseline (workshop)', baseline],
  ['floor (one SDK client)', summary(samples.oneClient)],
  ['floor (SDK built-ins)', summary(samples.floor)],
  ...(compareDir ? ([[`compared (${compareDir.slice(-12)})`, summary(samples.compared)]] as const) : []),
] as const;
for (const [name, s] of rows) {
  console.log(
    `${name.padEnd(23)}${ms(s.init).padStart(11)}${ms(s.initMin).padStart(11)}${ms(s.initP90).padStart(11)}${ms(s.process).padStart(17)}` +
      `${String(s.modules).padStart(17)}${`${s.kib.toFixed(0)} KiB`.padStart(15)}`,
  );
}
console.log('');
console.log(`init ratio ours/baseline: ${ratio(ours.init, baseline.init)} (target <= 0.33x); process ratio: ${ratio(ours.process, baseline.process)}`);
console.log(`target median init <= 30 ms: ${ours.init <= 30 ? 'met' : 'NOT met'}; <= 1/3 of baseline: ${ours.init <= baseline.init / 3 ? 'met' : 'NOT met'}`);
