// Cold start of the interruption handler: time to load the handler module and construct its clients, each
// sample in a fresh Node process, ours (bundled) against the workshop baseline (unbundled SDK) and two floors,
// interleaved in the same run, on the function runtime's Node (nodejs24.x: Node 24, from bench/runtime-node) first
// and on the host's Node beside it. The whole comparison runs BENCH_RUNS times (3 by default).
// Run: npm run bench -- handler-cold-start   (BENCH_RUNS=3 BENCH_COLD_SAMPLES=25)
// Before/after in one run: COLD_START_COMPARE=<another checkout> adds that checkout's handler, bundled the same way.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildHandlers, bundleLikeOurs, HANDLER_ENVIRONMENT } from './build-handlers.js';
import { countFromEnv } from './cloud-helpers.js';
import { FUNCTION_RUNTIME, runtimeNode } from './runtime-node.js';
import { median, ms, msCell, percentile, ratio, ratioCell, runsCell } from './stats.js';

const RUNS = countFromEnv('BENCH_RUNS', 3);
const SAMPLES = countFromEnv('BENCH_COLD_SAMPLES', 25);
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

const ENV = { PATH: process.env.PATH ?? '', ...HANDLER_ENVIRONMENT };

interface Sample {
  initMs: number;
  processMs: number;
  modules: number;
  bytes: number;
}

function sample(node: string, file: string): Sample {
  const start = process.hrtime.bigint();
  const out = execFileSync(node, ['-e', PROBE, file], { env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const processMs = Number(process.hrtime.bigint() - start) / 1e6;
  return { ...(JSON.parse(out) as Omit<Sample, 'processMs'>), processMs };
}

// Two floors, to show how loaded the machine is while the figures are taken and what is left to win: the Node
// built-ins the SDK itself needs, which no handler can go below, and one SDK client bundled as ours is, which
// no handler built on the SDK v3 can go below.
const floorDir = mkdtempSync(join(tmpdir(), 'cold-start-'));
process.once('exit', () => rmSync(floorDir, { recursive: true, force: true }));
const builtins = join(floorDir, 'floor.cjs');
writeFileSync(builtins, ['crypto', 'http', 'https', 'stream', 'os', 'fs'].map((m) => `require('node:${m}');`).join('\n'));
const oneClient = join(floorDir, 'one-client.cjs');
await bundleLikeOurs(join(dirname(fileURLToPath(import.meta.url)), 'floors/one-client.ts'), oneClient);
const compareDir = process.env.COLD_START_COMPARE;
const compared = join(floorDir, 'compared.cjs');
if (compareDir) await bundleLikeOurs(join(compareDir, 'handlers/interruption/index.ts'), compared);

const built = await buildHandlers();
const FILES = { ours: built.bundled, baseline: built.baseline, oneClient, builtins, compared } as const;
type Subject = keyof typeof FILES;
const SUBJECTS = (Object.keys(FILES) as Subject[]).filter((subject) => subject !== 'compared' || compareDir);
const LABELS: Record<Subject, string> = {
  ours: 'ours (bundled)',
  baseline: 'baseline (workshop)',
  oneClient: 'floor (one SDK client)',
  builtins: 'floor (SDK built-ins)',
  compared: `compared (${compareDir?.slice(-12)})`,
};

const runtime = runtimeNode((line) => console.log(line));
const nodes: Array<{ readonly label: string; readonly path: string; readonly version: string }> = [
  ...('path' in runtime ? [{ label: `${FUNCTION_RUNTIME}'s Node`, path: runtime.path, version: runtime.version }] : []),
  { label: "the host's Node", path: process.execPath, version: process.version },
];
if ('skipped' in runtime) console.log(`(No ${FUNCTION_RUNTIME} figures: ${runtime.skipped}.)`);

interface Summary {
  readonly init: number;
  readonly initMin: number;
  readonly initP90: number;
  readonly process: number;
  readonly modules: number;
  readonly kib: number;
}
const summarize = (s: Sample[]): Summary => ({
  init: median(s.map((x) => x.initMs)),
  initMin: Math.min(...s.map((x) => x.initMs)),
  initP90: percentile(s.map((x) => x.initMs), 90),
  process: median(s.map((x) => x.processMs)),
  modules: s[0]!.modules,
  kib: s[0]!.bytes / 1024,
});

console.log(`Interruption handler cold start, ${SAMPLES} fresh processes per subject and Node (after ${WARM_UPS} warm-ups), ${RUNS} run(s)`);
console.log(`bundle: ${(built.bundleBytes / 1024).toFixed(1)} KiB minified, ${(built.bundleGzipBytes / 1024).toFixed(1)} KiB gzipped`);
/** Per run, per Node (in `nodes` order), per subject. */
const runs: Array<Array<Record<Subject, Summary>>> = [];
for (let run = 0; run < RUNS; run++) {
  const samples = nodes.map(() => Object.fromEntries(SUBJECTS.map((k) => [k, [] as Sample[]])) as Record<Subject, Sample[]>);
  for (let i = 0; i < WARM_UPS + SAMPLES; i++) {
    // Interleaved over subjects and Nodes, so drift in machine load hits all alike.
    nodes.forEach((node, n) => {
      for (const subject of SUBJECTS) {
        const taken = sample(node.path, FILES[subject]);
        if (i >= WARM_UPS) samples[n]![subject].push(taken);
      }
    });
  }
  const summaries = samples.map((bySubject) => Object.fromEntries(SUBJECTS.map((k) => [k, summarize(bySubject[k])])) as Record<Subject, Summary>);
  runs.push(summaries);
  console.log('');
  console.log(`Run ${run + 1} of ${RUNS}`);
  nodes.forEach((node, n) => {
    const s = summaries[n]!;
    console.log(`  ${node.label} (${node.version})   init median   init min   init p90   process median   modules loaded   bytes loaded`);
    for (const subject of SUBJECTS) {
      const row = s[subject];
      console.log(
        `    ${LABELS[subject].padEnd(23)}${ms(row.init).padStart(11)}${ms(row.initMin).padStart(11)}${ms(row.initP90).padStart(11)}${ms(row.process).padStart(17)}` +
          `${String(row.modules).padStart(17)}${`${row.kib.toFixed(0)} KiB`.padStart(15)}`,
      );
    }
    console.log(`    init ours/baseline ${ratio(s.ours.init, s.baseline.init)} (target <= 0.33x), ours/one client ${ratio(s.ours.init, s.oneClient.init)}; process ratio ours/baseline ${ratio(s.ours.process, s.baseline.process)}`);
  });
}

console.log('');
console.log('median (min–max) over the runs of each run\'s median init; each ratio is taken within a run');
console.log('');
console.log('| Node | ours | workshop baseline | floor: one SDK client | floor: SDK built-ins | ours / baseline | ours / one client |');
console.log('|---|---|---|---|---|---|---|');
nodes.forEach((node, n) => {
  const figure = (subject: Subject) => runs.map((r) => r[n]![subject].init);
  const ratioTo = (subject: Subject) => runs.map((r) => r[n]!.ours.init / r[n]![subject].init);
  console.log(
    `| ${node.version} (${node.label}) | ${runsCell(figure('ours'), msCell)} | ${runsCell(figure('baseline'), msCell)} | ${runsCell(figure('oneClient'), msCell)} | ` +
      `${runsCell(figure('builtins'), msCell)} | ${runsCell(ratioTo('baseline'), ratioCell)} | ${runsCell(ratioTo('oneClient'), ratioCell)} |`,
  );
});
const first = runs.map((r) => r[0]!);
const metIn = (met: boolean[]) => (met.every(Boolean) ? 'met in every run' : `NOT met in ${met.filter((m) => !m).length} of ${met.length} runs`);
console.log('');
console.log(
  `${nodes[0]!.label}: target median init <= 30 ms ${metIn(first.map((s) => s.ours.init <= 30))}; ` +
    `<= 1/3 of baseline ${metIn(first.map((s) => s.ours.init <= s.baseline.init / 3))}`,
);
