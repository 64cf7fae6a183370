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

async function timeStart(extraArgs: string[]): Promise<number> {
  const port = await probePort(0, '127.0.0.1');
  const started = performance.now();
  const child = spawn(TSX, ['local/main.ts', '--port', String(port), ...extraArgs], { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([firstOk(`http://127.0.0.1:${port}/`, Date.now() + 120_000), exited.then(() => Promise.reject(new Error('npm start exited')))]);
    return performance.now() - started;
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
const rows: Array<[string, number[]]> = [];
for (const [name, args] of [['npm start', []], ['npm start -- --time-scale 0.05', ['--time-scale', '0.05']]] as Array<[string, string[]]>) {
  const times: number[] = [];
  for (let i = 0; i < STARTS; i++) times.push(await timeStart(args));
  rows.push([name, times]);
}
print(`npm start → first 200 from the local ALB, warm install, ${STARTS} starts each, node ${process.version}`);
print('');
for (const [name, times] of rows) {
  print(`${name.padEnd(32)} median ${(median(times) / 1000).toFixed(1)} s   runs ${times.map((t) => `${(t / 1000).toFixed(1)} s`).join(', ')}   target <= 20 s: ${Math.max(...times) <= 20_000 ? 'met' : 'NOT met'}`);
}
print(`floor: starting tsx alone ${(floor / 1000).toFixed(2)} s`);
