import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLambdaWorker, type LambdaWorker, type LambdaWorkerOptions } from '../../local/lambda/worker.js';

/** Handlers for each path the worker must handle, bundled to CommonJS as NodejsFunction does. */
const HANDLER_SOURCE = `
let inits = 0;
let calls = 0;
inits++;

export const echo = async (event: unknown, context: { awsRequestId: string; functionName: string; memoryLimitInMB: string; getRemainingTimeInMillis(): number }) => {
  calls++;
  console.log('echo called', { calls });
  console.warn('second line');
  return {
    event,
    inits,
    calls,
    greeting: process.env.GREETING,
    region: process.env.AWS_REGION,
    secret: process.env.AWS_SECRET_ACCESS_KEY ?? null,
    parentOnly: process.env.PARENT_ONLY ?? null,
    requestId: context.awsRequestId,
    functionName: context.functionName,
    memory: context.memoryLimitInMB,
    remaining: context.getRemainingTimeInMillis(),
  };
};

export const fails = async () => {
  throw new TypeError('bad input');
};

export const sleeps = async () => {
  await new Promise((resolve) => setTimeout(resolve, 30_000));
  return 'too late';
};

export const exits = async () => {
  process.exit(3);
};

export const callback = (event: { n: number }, _context: unknown, cb: (err: unknown, result?: unknown) => void) => {
  setTimeout(() => cb(null, { doubled: event.n * 2 }), 1);
};

export const nothing = async () => undefined;
`;

let assetDir: string;
const workers: LambdaWorker[] = [];

beforeAll(async () => {
  assetDir = mkdtempSync(join(tmpdir(), 'lambda-worker-test-'));
  writeFileSync(join(assetDir, 'src.ts'), HANDLER_SOURCE);
  await build({ entryPoints: [join(assetDir, 'src.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: join(assetDir, 'index.js'), logLevel: 'silent' });
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  rmSync(assetDir, { recursive: true, force: true });
});

async function start(handler: string, extra: Partial<LambdaWorkerOptions> = {}): Promise<{ worker: LambdaWorker; logs: string[] }> {
  const logs: string[] = [];
  const worker = await startLambdaWorker({
    assetDir,
    handler,
    functionName: `test-${handler.replace('.', '-')}`,
    environment: { GREETING: 'hello', AWS_REGION: 'eu-west-1' },
    timeoutMs: 5_000,
    onLog: (line) => logs.push(line),
    ...extra,
  });
  workers.push(worker);
  return { worker, logs };
}

describe('startLambdaWorker', () => {
  it('runs the handler with its environment and a Lambda context, and stays warm', async () => {
    process.env['AWS_SECRET_ACCESS_KEY'] = 'parent-secret-must-not-leak';
    process.env['PARENT_ONLY'] = 'x';
    const started = performance.now();
    const { worker, logs } = await start('index.echo');
    const startMs = performance.now() - started;
    delete process.env['AWS_SECRET_ACCESS_KEY'];
    delete process.env['PARENT_ONLY'];

    const first = await worker.invoke({ hello: 'world' });
    const second = await worker.invoke({ again: true });
    console.info(`lambda worker start ${startMs.toFixed(0)} ms; warm invoke ${second.durationMs.toFixed(1)} ms`);

    expect(first.error).toBeUndefined();
    expect(first.result).toMatchObject({
      event: { hello: 'world' },
      inits: 1,
      calls: 1,
      greeting: 'hello',
      region: 'eu-west-1',
      secret: null,
      parentOnly: null,
      requestId: first.requestId,
      functionName: 'test-index-echo',
      memory: '128',
    });
    const remaining = (first.result as { remaining: number }).remaining;
    expect(remaining).toBeGreaterThan(4_000);
    expect(remaining).toBeLessThanOrEqual(5_000);
    expect(second.result).toMatchObject({ inits: 1, calls: 2, event: { again: true } });
    expect(first.coldStart).toBe(false);
    expect(worker.functionArn).toBe('arn:aws:lambda:eu-west-1:123456789012:function:test-index-echo');

    await expect.poll(() => logs.filter((l) => l.includes('\tWARN\tsecond line')).length).toBe(2);
    expect(logs).toContain(`START RequestId: ${first.requestId} Version: $LATEST`);
    expect(logs.some((l) => new RegExp(`^\\S+Z\\t${first.requestId}\\tINFO\\techo called \\{ calls: 1 \\}$`).test(l))).toBe(true);
    expect(logs.some((l) => l.startsWith(`REPORT RequestId: ${second.requestId}\tDuration: `) && l.includes('Memory Size: 128 MB'))).toBe(true);
  });

  it('serializes concurrent invocations on one worker', async () => {
    const { worker } = await start('index.echo');
    const results = await Promise.all([1, 2, 3].map((n) => worker.invoke({ n })));
    expect(results.map((r) => (r.result as { calls: number }).calls).sort()).toEqual([1, 2, 3]);
  });

  it('returns a thrown error as errorType and errorMessage', async () => {
    const { worker, logs } = await start('index.fails');
    const outcome = await worker.invoke({});
    expect(outcome.result).toBeUndefined();
    expect(outcome.error).toMatchObject({ errorType: 'TypeError', errorMessage: 'bad input' });
    await expect.poll(() => logs.some((l) => l.includes('\tERROR\tInvoke Error'))).toBe(true);
  });

  it('times out, kills the child, and cold-starts on the next invoke', async () => {
    const { worker } = await start('index.sleeps', { timeoutMs: 300 });
    const outcome = await worker.invoke({});
    expect(outcome.error).toEqual({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 0.30 seconds' });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(295);
    expect(outcome.durationMs).toBeLessThan(2_000);
    const again = await worker.invoke({});
    expect(again.coldStart).toBe(true);
    expect(again.error?.errorType).toBe('Sandbox.Timedout');
  });

  it('reports a child that exits mid-invocation, and restarts it for the next one', async () => {
    const { worker } = await start('index.exits');
    const outcome = await worker.invoke({});
    expect(outcome.error?.errorType).toBe('Runtime.ExitError');
    expect(outcome.error?.errorMessage).toMatch(/Runtime exited with error: exit status 3$/);
    const again = await worker.invoke({});
    expect(again.coldStart).toBe(true);
    expect(again.error?.errorType).toBe('Runtime.ExitError');
  });

  it('supports callback-style handlers and returns null for undefined', async () => {
    const { worker } = await start('index.callback');
    expect((await worker.invoke({ n: 21 })).result).toEqual({ doubled: 42 });
    const { worker: empty } = await start('index.nothing');
    const outcome = await empty.invoke({});
    expect(outcome).toHaveProperty('result', null);
  });

  it('rejects at start when the handler cannot be loaded', async () => {
    await expect(start('index.missing')).rejects.toThrow(/Runtime.HandlerNotFound: index.missing is undefined/);
    await expect(start('nofile.handler')).rejects.toThrow(/Runtime.ImportModuleError/);
    await expect(start('index')).rejects.toThrow(/handler must look like/);
  });

  it('refuses invocations after close', async () => {
    const { worker } = await start('index.echo');
    await worker.close();
    await expect(worker.invoke({})).rejects.toThrow(/is closed/);
  });
});
