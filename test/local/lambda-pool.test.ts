import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaPool } from '../../local/lambda/pool.js';

// Each environment counts its own invocations and names itself by pid, so the test sees which ran what.
const SOURCE = `
let calls = 0;
export const handler = async (event: { ms: number }) => {
  calls++;
  await new Promise((r) => setTimeout(r, event.ms));
  return { pid: process.pid, calls };
};
`;

let assetDir: string;
const pools: LambdaPool[] = [];

beforeAll(async () => {
  assetDir = mkdtempSync(join(tmpdir(), 'lambda-pool-test-'));
  writeFileSync(join(assetDir, 'src.ts'), SOURCE);
  await build({ entryPoints: [join(assetDir, 'src.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: join(assetDir, 'index.js'), logLevel: 'silent' });
});

afterAll(async () => {
  for (const pool of pools) await pool.close();
  rmSync(assetDir, { recursive: true, force: true });
});

function pool(maxConcurrency: number): LambdaPool {
  const p = new LambdaPool({ assetDir, handler: 'index.handler', functionName: 'pool-test', timeoutMs: 5_000, environment: {}, maxConcurrency });
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

  it('refuses invocations once closed', async () => {
    const p = pool(1);
    await p.close();
    await expect(p.invoke({ ms: 1 })).rejects.toThrow(/shut down/);
  });
});
