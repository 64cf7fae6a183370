import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MotoStartError, motoClientConfig, startMoto, WATCHDOG, type MotoServer } from '../../local/moto-server.js';
import { PortInUseError, probePort } from '../../local/ports.js';

describe('startMoto', () => {
  let moto: MotoServer;
  let sqs: SQSClient;

  beforeAll(async () => {
    moto = await startMoto();
    sqs = new SQSClient(motoClientConfig(moto.endpoint));
  });
  afterAll(async () => {
    sqs?.destroy();
    await moto?.stop();
  });

  it('answers SDK calls on a free port it picked', async () => {
    expect(moto.port).toBeGreaterThan(0);
    expect(moto.endpoint).toBe(`http://127.0.0.1:${moto.port}`);
    await sqs.send(new CreateQueueCommand({ QueueName: 'smoke' }));
    const listed = await sqs.send(new ListQueuesCommand({}));
    expect(listed.QueueUrls?.some((url) => url.endsWith('/smoke'))).toBe(true);
  });

  it('reset() clears all state', async () => {
    await sqs.send(new CreateQueueCommand({ QueueName: 'before-reset' }));
    await moto.reset();
    const listed = await sqs.send(new ListQueuesCommand({}));
    expect(listed.QueueUrls ?? []).toEqual([]);
  });

  it('refuses a port that is in use, naming the port', async () => {
    const error = await startMoto({ port: moto.port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as Error).message).toContain(`port ${moto.port}`);
  });
});

describe('startMoto lifecycle', () => {
  it('stop() frees the port and kills the process group', async () => {
    const moto = await startMoto();
    await moto.stop();
    await expect(probePort(moto.port, '127.0.0.1')).resolves.toBe(moto.port);
    await expect(fetch(`${moto.endpoint}/moto-api/`)).rejects.toThrow();
    await moto.stop(); // idempotent
  });

  it('starts on a requested port and forwards its log lines', async () => {
    const port = await probePort(0, '127.0.0.1');
    const lines: string[] = [];
    const moto = await startMoto({ port, onLog: (line) => lines.push(line) });
    try {
      expect(moto.port).toBe(port);
      expect(lines.join('\n')).toContain(`Running on http://127.0.0.1:${port}`);
    } finally {
      await moto.stop();
    }
  });

  it('reports a port held by a non-moto program before spawning', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      await expect(startMoto({ port })).rejects.toThrow(`port ${port} on 127.0.0.1 is in use`);
    } finally {
      holder.close();
    }
  });

  it('says python3 is missing when the interpreter cannot be found', async () => {
    const error = await startMoto({ python: '/nonexistent/python3' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MotoStartError);
    expect((error as MotoStartError).code).toBe('PYTHON_NOT_FOUND');
  });

  it('says to pip install when moto cannot be imported', async () => {
    // `python3 -S` skips site-packages, which is where moto lives.
    const dir = await mkdtemp(join(tmpdir(), 'no-moto-'));
    const python = join(dir, 'python-without-site');
    await writeFile(python, '#!/bin/sh\nexec python3 -S "$@"\n');
    await chmod(python, 0o755);
    try {
      const error = await startMoto({ python }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MotoStartError);
      expect((error as MotoStartError).code).toBe('MOTO_NOT_INSTALLED');
      expect((error as Error).message).toContain('pip install -r requirements-dev.txt');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('moto dies with the process that started it, even on SIGKILL', async () => {
    const script = [
      "import { startMoto } from './local/moto-server.ts';",
      'const moto = await startMoto();',
      'console.log(moto.port);',
      'setInterval(() => undefined, 1000);',
    ].join('\n');
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      parent.once('exit', (code) => reject(new Error(`parent exited early with ${code}`)));
    });
    await expect(fetch(`http://127.0.0.1:${port}/moto-api/`).then((r) => r.status)).resolves.toBe(200);
    parent.kill('SIGKILL');
    await expect(waitUntilFree(port, 5_000)).resolves.toBe(true);
  });
});

async function waitUntilFree(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await probePort(port, '127.0.0.1');
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return false;
}

describe("moto's launcher", () => {
  it('loads nothing from the directory it is started in (python -c would put it first on sys.path)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spotweb-planted-'));
    try {
      const marker = join(dir, 'planted-ran');
      const plant = `open(${JSON.stringify(marker)}, 'w').write('x')\n`;
      // A `moto` package where the launcher is started would shadow the real one.
      await mkdir(join(dir, 'moto'));
      await writeFile(join(dir, 'moto', '__init__.py'), plant);
      await writeFile(join(dir, 'moto', 'server.py'), plant);
      const { execFileSync } = await import('node:child_process');
      // --help: moto.server prints its usage and exits once imported.
      execFileSync('python3', ['-c', WATCHDOG, '--help'], { cwd: dir, stdio: ['pipe', 'ignore', 'ignore'] });
      await expect(rm(marker)).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
