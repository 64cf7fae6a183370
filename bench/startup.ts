// `npm start` to the first 200 from the local ALB, on a warm install: the CLI as a user runs it (a child process),
// timed from spawn to the first 200 on the printed port. Side by side: the floor of starting tsx alone.
// Run: npm run bench -- startup   (BENCH_STARTS=3 by default)
import { spawn } from 'node:child_process';
import { probePort } from '../local/ports.js';
import { countFromEnv } from './cloud-helpers.js';
import { median } from './stats.js';

const STARTS = countFromEnv('BENCH_STARTS', 3);
const TSX = 'node_modules/.bin/tsx';

async function firstOk(url: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no 200 from ${url}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Where the time goes: when the CLI first printed each of its progress lines (ms after spawn). */
const PHASES: Array<[string, RegExp]> = [
  // Synthesis runs while moto starts; this line comes when both are done.
  ['synthesized, moto up', /^moto \(local AWS control plane\)/],
  ['deployed', /resources created through the AWS APIs/],
  ['first instance', /instance i-\w+ launched/],
  ['banner', /spotweb is up/],
];

interface Start {
  readonly totalMs: number;
  readonly phases: Record<string, number>;
}

async function timeStart(extraArgs: string[]): Promise<Start> {
  const port = await probePort(0, '127.0.0.1');
  const started = performance.now();
  const child = spawn(TSX, ['local/main.ts', '--port', String(port), ...extraArgs], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, NO_COLOR: '1' } });
  const phases: Record<string, number> = {};
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      for (const [name, pattern] of PHASES) if (phases[name] === undefined && pattern.test(line.trim())) phases[name] = performance.now() - started;
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([firstOk(`http://127.0.0.1:${port}/`, Date.now() + 120_000), exited.then(() => Promise.reject(new Error('npm start exited')))]);
    return { totalMs: performance.now() - started, phases };
  } finally {
    child.kill('SIGINT');
    await exited;
  }
}

async function tsxFloor(): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => spawn(TSX, ['-e', ''], { stdio: 'ignore' }).once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsx exited ${code}`)))));
  return performance.now() - started;
}

const print = console.log.bind(console);
const floor = await tsxFloor();
const rows: Array<[string, Start[]]> = [];
for (const [name, args] of [['npm start', []], ['npm start -- --time-scale 0.05', ['--time-scale', '0.05']]] as Array<[string, string[]]>) {
  const starts: Start[] = [];
  for (let i = 0; i < STARTS; i++) starts.push(await timeStart(args));
  rows.push([name, starts]);
}
const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`;
print(`npm start → first 200 from the local ALB, warm install, ${STARTS} starts each, node ${process.version}`);
print('');
for (const [name, starts] of rows) {
  const times = starts.map((s) => s.totalMs);
  print(`${name.padEnd(32)} median ${seconds(median(times))}   runs ${times.map(seconds).join(', ')}   target <= 20 s: ${Math.max(...times) <= 20_000 ? 'met' : 'NOT met'}`);
  const phases = PHASES.map(([phase]) => {
    const at = starts.flatMap((s) => (s.phases[phase] === undefined ? [] : [s.phases[phase]!]));
    return `${phase} ${at.length ? seconds(median(at)) : '-'}`;
  });
  print(`${''.padEnd(32)} median time from spawn: ${phases.join(', ')}, first 200 ${seconds(median(times))}`);
}
print(`floor: starting tsx alone ${(floor / 1000).toFixed(2)} s`);
