import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InitSlots, LambdaPool } from '../../local/lambda/pool.js';

// Each environment counts its own invocations and names itself by pid, so the test sees which ran what.
const SOURCE = `
let calls = 0;
export const handler = async (event: { ms: number }) => {
  calls++;
  await new Promise((r) => setTimeout(r, event.ms));
  return { pid: process.pid, calls };
};
`;

// An init phase of 200 ms that says when it ran.
const SLOW_INIT_SOURCE = `
const initStart = Date.now();
while (Date.now() - initStart < 200);
const initEnd = Date.now();
export const handler = async (event: { ms: number }) => {
  await new Promise((r) => setTimeout(r, event.ms));
  return { pid: process.pid, initStart, initEnd };
};
`;

let assetDir: string;
let brokenDir: string;
let slowInitDir: string;
const pools: LambdaPool[] = [];

beforeAll(async () => {
  assetDir = mkdtempSync(join(tmpdir(), 'lambda-pool-test-'));
  writeFileSync(join(assetDir, 'src.ts'), SOURCE);
  await build({ entryPoints: [join(assetDir, 'src.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: join(assetDir, 'index.js'), logLevel: 'silent' });
  slowInitDir = mkdtempSync(join(tmpdir(), 'lambda-pool-test-slow-init-'));
  writeFileSync(join(slowInitDir, 'src.ts'), SLOW_INIT_SOURCE);
  await build({ entryPoints: [join(slowInitDir, 'src.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: join(slowInitDir, 'index.js'), logLevel: 'silent' });
  // A module that throws while loading: every cold start's init fails.
  brokenDir = mkdtempSync(join(tmpdir(), 'lambda-pool-test-broken-'));
  writeFileSync(join(brokenDir, 'index.js'), "throw new Error('no config');\n");
});

afterAll(async () => {
  for (const pool of pools) await pool.close();
  rmSync(assetDir, { recursive: true, force: true });
  rmSync(brokenDir, { recursive: true, force: true });
  rmSync(slowInitDir, { recursive: true, force: true });
});

function pool(maxConcurrency: number, dir = assetDir, maxInitializing?: number): LambdaPool {
  const p = new LambdaPool({ assetDir: dir, handler: 'index.handler', functionName: 'pool-test', timeoutMs: 5_000, environment: {}, maxConcurrency, ...(maxInitializing && { maxInitializing }) });
  pools.push(p);
  return p;
}

describe('LambdaPool', () => {
  it('runs concurrent invocations in parallel environments, up to the limit, then queues', async () => {
    const p = pool(2);
    const results = await Promise.all(Array.from({ length: 4 }, () => p.invoke({ ms: 300 })));
    const pids = new Set(results.map((r) => (r.result as { pid: number }).pid));
    expect(p.size).toBe(2);
    expect(pids.size).toBe(2);
    expect(results.every((r) => r.error === undefined)).toBe(true);
    // Four 300 ms invocations on two environments: two rounds, each environment used twice.
    expect(results.map((r) => (r.result as { calls: number }).calls).sort()).toEqual([1, 1, 2, 2]);
  });

  it('reuses a warm environment for invocations one after another', async () => {
    const p = pool(4);
    const first = await p.invoke({ ms: 1 });
    const second = await p.invoke({ ms: 1 });
    expect(p.size).toBe(1);
    expect(first.coldStart).toBe(true);
    expect(second.coldStart).toBe(false);
  });

  it('runs no more init phases at once than maxInitializing; a burst still gets an environment per invocation', async () => {
    const inits = async (maxInitializing: number) => {
      const p = pool(3, slowInitDir, maxInitializing);
      const results = await Promise.all(Array.from({ length: 3 }, () => p.invoke({ ms: 1_500 })));
      expect(results.every((r) => r.error === undefined && r.coldStart)).toBe(true);
      expect(p.size).toBe(3);
      const spans = results.map((r) => r.result as { initStart: number; initEnd: number }).sort((a, b) => a.initStart - b.initStart);
      return spans.slice(1).filter((span, i) => span.initStart < spans[i]!.initEnd).length;
    };
    // The control group: three inits at once overlap.
    expect(await inits(3)).toBeGreaterThan(0);
    expect(await inits(1)).toBe(0);
  });

  it('shares init slots across functions: two pools on one slot never init at once, and both still get their environments', async () => {
    const overlaps = async (initSlots: InitSlots | undefined) => {
      const make = () => {
        const p = new LambdaPool({ assetDir: slowInitDir, handler: 'index.handler', functionName: 'pool-test', timeoutMs: 5_000, environment: {}, maxConcurrency: 2, maxInitializing: 1, ...(initSlots && { initSlots }) });
        pools.push(p);
        return p;
      };
      const [a, b] = [make(), make()];
      const results = await Promise.all([a, b, a, b].map((p) => p.invoke({ ms: 1_500 })));
      expect(results.every((r) => r.error === undefined && r.coldStart)).toBe(true);
      expect([a.size, b.size]).toEqual([2, 2]);
      const spans = results.map((r) => r.result as { initStart: number; initEnd: number }).sort((x, y) => x.initStart - y.initStart);
      return spans.slice(1).filter((span, i) => span.initStart < spans[i]!.initEnd).length;
    };
    // The control group: each pool with a slot of its own, so the two functions' inits overlap.
    expect(await overlaps(undefined)).toBeGreaterThan(0);
    expect(await overlaps(new InitSlots(1))).toBe(0);
  });

  it('fails an invocation whose environment cannot init, as a function error rather than a rejection', async () => {
    const p = pool(2, brokenDir);
    // More invocations than environments: those waiting for one start their own when a start fails.
    const results = await Promise.all([p.invoke({ ms: 1 }), p.invoke({ ms: 1 }), p.invoke({ ms: 1 }), p.invoke({ ms: 1 })]);
    for (const result of results) {
      expect(result.coldStart).toBe(true);
      expect(result.error?.errorMessage).toMatch(/no config/);
    }
    // Nothing is left half-started: the next invocation tries a fresh environment again.
    expect(p.size).toBe(0);
  });

  it('retires after UpdateFunctionCode: what runs and what waits finish, then every environment stops', async () => {
    const p = pool(1);
    const running = p.invoke({ ms: 400 });
    const waiting = p.invoke({ ms: 1 });
    await new Promise((r) => setTimeout(r, 100));
    const retired = p.retire();
    await expect(p.invoke({ ms: 1 })).rejects.toThrow(/shut down/);
    const [first, second] = await Promise.all([running, waiting]);
    expect(first.error).toBeUndefined();
    expect(second.error).toBeUndefined();
    // The waiting invocation ran in the same environment once the first returned.
    expect((second.result as { pid: number }).pid).toBe((first.result as { pid: number }).pid);
    await retired;
    const pid = (first.result as { pid: number }).pid;
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('retiring while its only environment fails to start: the invocation waiting for it fails instead of hanging', async () => {
    const p = pool(1, brokenDir, 1);
    const starting = p.invoke({ ms: 1 });
    const waiting = p.invoke({ ms: 1 });
    const retired = p.retire();
    expect((await starting).error?.errorMessage).toMatch(/no config/);
    // No environment is left and a retiring pool starts none: waiting on would never end.
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('still waiting after 5 s')), 5_000)));
    await expect(Promise.race([waiting, hung])).rejects.toThrow(/shut down/);
    clearTimeout(timer);
    await retired;
  });

  it('refuses invocations once closed', async () => {
    const p = pool(1);
    await p.close();
    await expect(p.invoke({ ms: 1 })).rejects.toThrow(/shut down/);
  });
});
