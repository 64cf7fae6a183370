import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startImdsEmulator } from '../../local/imds/emulator.js';
import { createImdsClient, ImdsError } from '../../userdata/app/imds-client.js';
import { startFaultyImds, type FaultMode } from './support/faulty-imds.js';

const IDENTITY = { instanceId: 'i-0123456789abcdef0', availabilityZone: 'sa-east-1c', instanceType: 'r7g.medium', lifecycle: 'on-demand' };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function emulator(now?: () => number) {
  const imds = await startImdsEmulator(IDENTITY, { now });
  cleanups.push(() => imds.close());
  return imds;
}

async function faulty(mode: FaultMode) {
  const imds = await emulator();
  const proxy = await startFaultyImds(imds.url, mode);
  cleanups.push(() => proxy.close());
  return proxy;
}

const tokenPuts = (records: ReadonlyArray<{ method: string }>) => records.filter((r) => r.method === 'PUT').length;

describe('createImdsClient', () => {
  it('reads metadata with one token shared by concurrent and later GETs', async () => {
    const imds = await emulator();
    const client = createImdsClient({ endpoint: imds.url, timeoutMs: 1000 });

    const [id, zone] = await Promise.all([client.get('instance-id'), client.get('placement/availability-zone')]);
    const type = await client.get('instance-type');

    expect([id, zone, type]).toEqual([IDENTITY.instanceId, IDENTITY.availabilityZone, IDENTITY.instanceType]);
    expect(tokenPuts(imds.requests())).toBe(1);
    expect(imds.requests().filter((r) => r.method === 'GET').every((r) => r.token === 'valid')).toBe(true);
  });

  it('reports a missing item (404) as undefined', async () => {
    const imds = await emulator();
    await expect(createImdsClient({ endpoint: imds.url, timeoutMs: 1000 }).get('spot/instance-action')).resolves.toBeUndefined();
  });

  it('gets a fresh token and retries once when IMDS no longer accepts its token', async () => {
    let serverClock = 0;
    const imds = await emulator(() => serverClock);
    const client = createImdsClient({ endpoint: imds.url, timeoutMs: 1000, tokenTtlSeconds: 60 });
    await client.get('instance-id');
    serverClock += 61_000; // expired for IMDS, not yet for the client's own clock

    await expect(client.get('instance-type')).resolves.toBe(IDENTITY.instanceType);
    expect(imds.requests().map((r) => `${r.method} ${r.status}`)).toEqual(['PUT 200', 'GET 200', 'GET 401', 'PUT 200', 'GET 200']);
  });

  it('renews its token before it expires', async () => {
    let clientClock = 0;
    const imds = await emulator();
    const client = createImdsClient({ endpoint: imds.url, timeoutMs: 1000, tokenTtlSeconds: 600, now: () => clientClock });
    await client.get('instance-id');
    clientClock += 541_000; // within the renewal margin (a tenth of the TTL, at most a minute)
    await client.get('instance-id');

    expect(tokenPuts(imds.requests())).toBe(2);
    expect(imds.requests().filter((r) => r.status === 401)).toEqual([]);
  });

  it('fails with ImdsError when IMDS does not answer in time', async () => {
    const proxy = await faulty({ kind: 'hang' });
    const started = Date.now();
    const failure = createImdsClient({ endpoint: proxy.url, timeoutMs: 200 }).get('instance-id');
    await expect(failure).rejects.toThrow(ImdsError);
    await expect(failure).rejects.toThrow(/timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('fails with ImdsError when no token is issued, or the token is garbage', async () => {
    const refusing = await faulty({ kind: 'as-proxy' });
    await expect(createImdsClient({ endpoint: refusing.url, timeoutMs: 1000 }).get('instance-id')).rejects.toThrow(
      /token request answered HTTP 403/,
    );
    const garbage = await faulty({ kind: 'garbage' });
    await expect(createImdsClient({ endpoint: garbage.url, timeoutMs: 1000 }).get('instance-id')).rejects.toThrow(
      /not a token/,
    );
  });

  it('fails with ImdsError on a refused connection and on an answer far larger than IMDS gives', async () => {
    const huge = http.createServer((request, response) => {
      response.end(request.method === 'PUT' ? 'token' : 'x'.repeat(200_000));
    });
    await new Promise<void>((resolve) => huge.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => huge.close(() => resolve())));
    const { port } = huge.address() as AddressInfo;
    await expect(createImdsClient({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 1000 }).get('instance-id')).rejects.toThrow(
      /more than 65536 bytes/,
    );

    await new Promise<void>((resolve) => huge.close(() => resolve()));
    await expect(createImdsClient({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 1000 }).get('instance-id')).rejects.toThrow(
      /failed: .*ECONNREFUSED/,
    );
  });
});
