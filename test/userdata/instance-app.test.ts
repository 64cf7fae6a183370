// The bundled instance app as a real process against a fake IMDS on 127.0.0.1.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startImdsEmulator, type EmulatedIdentity, type ImdsEmulator } from '../../local/imds/emulator.js';
import { bundleInstanceApp } from '../../userdata/bundle.js';
import { startApp, type AppProcess } from './support/app-process.js';
import { startFaultyImds, type FaultyImds } from './support/faulty-imds.js';
import { request } from './support/http.js';
import { waitFor } from '../../harness/wait-for.js';

const IDENTITY: EmulatedIdentity = {
  instanceId: 'i-0a1b2c3d4e5f60718',
  availabilityZone: 'eu-west-1b',
  instanceType: 'c6g.large',
  lifecycle: 'spot',
};
const POLL_MS = 300;

let bundle: string;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => {
  bundle = bundleInstanceApp();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function emulator(): Promise<ImdsEmulator> {
  const imds = await startImdsEmulator(IDENTITY);
  cleanups.push(() => imds.close());
  return imds;
}

async function faulty(upstream: string, mode: FaultyImds['mode']): Promise<FaultyImds> {
  const proxy = await startFaultyImds(upstream, mode);
  cleanups.push(() => proxy.close());
  return proxy;
}

async function app(imdsUrl: string, env: Record<string, string> = {}): Promise<AppProcess> {
  const started = await startApp(bundle, { IMDS_ENDPOINT: imdsUrl, SPOT_POLL_INTERVAL_MS: String(POLL_MS), ...env });
  cleanups.push(() => started.kill());
  return started;
}

describe('identity over IMDSv2', () => {
  it('serves hello from the instance id, with AZ, type and lifecycle, read through the token flow', async () => {
    const imds = await emulator();
    const running = await app(imds.url);

    const page = await request(`${running.url}/`);

    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain(`hello from ${IDENTITY.instanceId}`);
    for (const detail of [IDENTITY.availabilityZone, IDENTITY.instanceType, IDENTITY.lifecycle]) expect(page.body).toContain(detail);
    const logged = await running.waitForEvent('identity');
    expect(logged).toMatchObject({ ...IDENTITY, complete: true });
  });

  it('carries its icon inline (a browser sends one request per reload) and serves /favicon.ico cached for who asks', async () => {
    const imds = await emulator();
    const running = await app(imds.url);
    const page = await request(`${running.url}/`);
    expect(page.body).toMatch(/<link rel="icon" href="data:image\/svg\+xml,[^"]+">/);
    const icon = await request(`${running.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    expect(icon.headers['cache-control']).toBe('public, max-age=86400');
    expect(icon.body).toMatch(/^<svg /);
  });

  it('gets tokens by PUT and sends one with every GET, while the fake refuses GETs without it', async () => {
    const imds = await emulator();
    const running = await app(imds.url);
    await running.waitForEvent('identity');
    await waitFor('a spot poll', () => imds.requests().find((r) => r.path.endsWith('/spot/instance-action')));

    const tokenless = await request(`${imds.url}/latest/meta-data/instance-id`);
    expect(tokenless.status).toBe(401);

    const log = imds.requests();
    expect(log.filter((r) => r.method === 'PUT' && r.path === '/latest/api/token' && r.status === 200)).toHaveLength(1);
    const gets = log.filter((r) => r.method === 'GET');
    expect(gets.length).toBeGreaterThanOrEqual(5);
    // The only GET without a valid token is the test's own, and it was refused.
    expect(gets.filter((r) => r.token !== 'valid')).toEqual([
      { method: 'GET', path: '/latest/meta-data/instance-id', status: 401, token: 'missing' },
    ]);
  });
});

describe('Spot interruption notice', () => {
  it('flips /health to 503 within one poll interval while / keeps answering', async () => {
    const imds = await emulator();
    const running = await app(imds.url);
    expect((await request(`${running.url}/health`)).status).toBe(200);

    const actionTime = new Date(Date.now() + 120_000);
    const noticed = Date.now();
    imds.setSpotAction('terminate', actionTime);
    await waitFor('health to fail', async () => ((await request(`${running.url}/health`)).status === 503 ? true : undefined));
    const elapsed = Date.now() - noticed;

    // One poll interval, plus a little for the poll's own round trips on a busy machine.
    expect(elapsed).toBeLessThanOrEqual(POLL_MS + 250);
    const page = await request(`${running.url}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`hello from ${IDENTITY.instanceId}`);
    expect(await running.waitForEvent('spot-interruption-notice')).toMatchObject({
      action: 'terminate',
      actionTime: actionTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      instanceId: IDENTITY.instanceId,
    });
  });

  it('logs a rebalance recommendation but stays in service', async () => {
    const imds = await emulator();
    const running = await app(imds.url);
    const noticeTime = new Date();

    imds.setRebalance(noticeTime);

    const logged = await running.waitForEvent('rebalance-recommendation');
    expect(logged.noticeTime).toBe(noticeTime.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    expect((await request(`${running.url}/health`)).status).toBe(200);
  });
});

describe('SIGTERM', () => {
  it('stops accepting, lets an in-flight slow request finish, then exits 0', async () => {
    const imds = await emulator();
    // Slow IMDS keeps the first `/` waiting on the identity lookup: a genuinely in-flight request.
    const slow = await faulty(imds.url, { kind: 'delay', ms: 800 });
    const running = await app(slow.url);

    const inFlight = request(`${running.url}/`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    running.child.kill('SIGTERM');
    const draining = await running.waitForEvent('draining');
    expect(draining.inFlight).toBe(1);

    await expect(request(`${running.url}/health`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const page = await inFlight;
    expect(page.status).toBe(200);
    expect(page.body).toContain(`hello from ${IDENTITY.instanceId}`);
    expect(page.headers.connection).toBe('close');
    expect(await running.exited()).toBe(0);
    expect(running.lines.at(-1)).toMatchObject({ event: 'stopped', cutOff: 0 });
  });

  it('cuts off requests still open at the drain deadline and still exits 0', async () => {
    const imds = await emulator();
    const stuck = await faulty(imds.url, { kind: 'hang' });
    const running = await app(stuck.url, { DRAIN_TIMEOUT_MS: '200' });

    const inFlight = request(`${running.url}/`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    running.child.kill('SIGTERM');

    await expect(inFlight).rejects.toThrow();
    expect(await running.exited()).toBe(0);
    expect(running.lines.at(-1)).toMatchObject({ event: 'stopped', cutOff: 1 });
  });
});

describe('a misbehaving IMDS', () => {
  it('garbage answers leave the server up with identity unknown, and a later good answer is picked up', async () => {
    const imds = await emulator();
    const proxy = await faulty(imds.url, { kind: 'garbage' });
    const running = await app(proxy.url);

    const page = await request(`${running.url}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('hello from unknown');
    expect((await request(`${running.url}/health`)).status).toBe(200);
    expect(running.lines.some((line) => line.event === 'imds-error')).toBe(true);

    proxy.mode = { kind: 'forward' };
    const known = await waitFor('identity to be retried', () =>
      running.lines.find((line) => line.event === 'identity' && line.complete === true),
    );
    expect(known.instanceId).toBe(IDENTITY.instanceId);
    expect((await request(`${running.url}/`)).body).toContain(`hello from ${IDENTITY.instanceId}`);
    expect(running.child.exitCode).toBeNull();
  });

  it('timeouts leave the server answering with identity unknown', async () => {
    const imds = await emulator();
    const proxy = await faulty(imds.url, { kind: 'hang' });
    const running = await app(proxy.url);

    const page = await request(`${running.url}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('hello from unknown');
    expect((await request(`${running.url}/health`)).status).toBe(200);
    expect(await running.waitForEvent('imds-error')).toMatchObject({ message: expect.stringContaining('timed out') });

    // Only the first lookup is waited for: with retries hanging too, later pages come at once.
    await new Promise((resolve) => setTimeout(resolve, POLL_MS + 100));
    const asked = Date.now();
    expect((await request(`${running.url}/`)).body).toContain('hello from unknown');
    expect(Date.now() - asked).toBeLessThan(500);
  });

  it('an IMDS that refuses tokens leaves identity unknown without crashing', async () => {
    const imds = await emulator();
    // IMDS refuses to issue tokens to proxied requests (X-Forwarded-For).
    const refusing = await faulty(imds.url, { kind: 'as-proxy' });
    const running = await app(refusing.url);

    const page = await request(`${running.url}/`);
    expect(page.body).toContain('hello from unknown');
    expect(await running.waitForEvent('imds-error')).toMatchObject({ message: expect.stringContaining('HTTP 403') });
  });
});

describe('configuration', () => {
  it('refuses a bad setting with a fatal log line and exit status 78', async () => {
    const imds = await emulator();
    await expect(app(imds.url, { SPOT_POLL_INTERVAL_MS: 'soon' })).rejects.toThrow(/exited with 78.*SPOT_POLL_INTERVAL_MS/);
  });
});
