import { afterEach, describe, expect, it } from 'vitest';
import { formatImdsTime, startImdsEmulator, type ImdsEmulator } from '../../local/imds/emulator.js';
import { request } from './support/http.js';

const IDENTITY = { instanceId: 'i-0123456789abcdef0', availabilityZone: 'ap-south-1a', instanceType: 't4g.small', lifecycle: 'spot' };
const TTL = 'x-aws-ec2-metadata-token-ttl-seconds';
const TOKEN = 'x-aws-ec2-metadata-token';

let emulator: ImdsEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(now?: () => number): Promise<ImdsEmulator> {
  emulator = await startImdsEmulator(IDENTITY, { now });
  return emulator;
}

async function token(imds: ImdsEmulator, ttl = '60'): Promise<string> {
  const reply = await request(`${imds.url}/latest/api/token`, { method: 'PUT', headers: { [TTL]: ttl } });
  expect(reply.status).toBe(200);
  return reply.body;
}

function get(imds: ImdsEmulator, path: string, withToken?: string) {
  return request(`${imds.url}/latest/meta-data/${path}`, { headers: withToken === undefined ? {} : { [TOKEN]: withToken } });
}

describe('IMDS emulator tokens', () => {
  it('issues a token for PUT with a TTL of 1 to 21600 seconds, and refuses other TTLs', async () => {
    const imds = await start();
    expect(await token(imds, '21600')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    for (const ttl of [undefined, '0', '21601', 'abc']) {
      const headers: Record<string, string> = ttl === undefined ? {} : { [TTL]: ttl };
      expect((await request(`${imds.url}/latest/api/token`, { method: 'PUT', headers })).status).toBe(400);
    }
  });

  it('refuses tokens to proxied requests and to methods other than PUT', async () => {
    const imds = await start();
    const proxied = await request(`${imds.url}/latest/api/token`, { method: 'PUT', headers: { [TTL]: '60', 'x-forwarded-for': '1.2.3.4' } });
    expect(proxied.status).toBe(403);
    expect((await request(`${imds.url}/latest/api/token`)).status).toBe(405);
  });

  it('answers 401 to metadata GETs without a token, with an unknown one, or with an expired one', async () => {
    let clock = 1_000_000;
    const imds = await start(() => clock);
    const issued = await token(imds, '10');
    expect((await get(imds, 'instance-id')).status).toBe(401);
    expect((await get(imds, 'instance-id', 'not-a-token')).status).toBe(401);
    expect((await get(imds, 'instance-id', issued)).status).toBe(200);
    clock += 10_000;
    expect((await get(imds, 'instance-id', issued)).status).toBe(401);
    // The PUT carries no token; then: none, an unknown one, a valid one, the same one expired.
    expect(imds.requests().map((r) => [r.token, r.status])).toEqual([
      ['missing', 200],
      ['missing', 401],
      ['invalid', 401],
      ['valid', 200],
      ['invalid', 401],
    ]);
  });
});

describe('IMDS emulator metadata', () => {
  it('serves the identity', async () => {
    const imds = await start();
    const issued = await token(imds);
    const read = async (path: string) => (await get(imds, path, issued)).body;
    expect(await read('instance-id')).toBe(IDENTITY.instanceId);
    expect(await read('placement/availability-zone')).toBe(IDENTITY.availabilityZone);
    expect(await read('placement/region')).toBe('ap-south-1');
    expect(await read('instance-type')).toBe(IDENTITY.instanceType);
    expect(await read('instance-life-cycle')).toBe(IDENTITY.lifecycle);
    expect((await get(imds, 'no/such/item', issued)).status).toBe(404);
    expect((await request(`${imds.url}/latest/meta-data/instance-id`, { method: 'POST', headers: { [TOKEN]: issued } })).status).toBe(405);
  });

  it('has no Spot notice until one is set, then reports it as IMDS does', async () => {
    const imds = await start();
    const issued = await token(imds);
    expect((await get(imds, 'spot/instance-action', issued)).status).toBe(404);
    expect((await get(imds, 'events/recommendations/rebalance', issued)).status).toBe(404);

    imds.setSpotAction('terminate', new Date('2026-11-22T17:30:00.250Z'));
    imds.setRebalance(new Date('2026-11-22T17:20:00.000Z'));

    expect(JSON.parse((await get(imds, 'spot/instance-action', issued)).body)).toEqual({ action: 'terminate', time: '2026-11-22T17:30:00Z' });
    expect((await get(imds, 'spot/termination-time', issued)).body).toBe('2026-11-22T17:30:00Z');
    expect(JSON.parse((await get(imds, 'events/recommendations/rebalance', issued)).body)).toEqual({ noticeTime: '2026-11-22T17:20:00Z' });

    imds.setSpotAction('stop', new Date('2026-11-22T17:31:00Z'));
    expect(JSON.parse((await get(imds, 'spot/instance-action', issued)).body).action).toBe('stop');
    expect((await get(imds, 'spot/termination-time', issued)).status).toBe(404);
  });

  it('rejects bad input with clear errors', async () => {
    const imds = await start();
    expect(() => imds.setSpotAction('reboot' as never, new Date())).toThrow(/terminate, stop or hibernate, got reboot/);
    expect(() => imds.setRebalance(new Date('nonsense'))).toThrow(/valid Date/);
    expect(() => formatImdsTime(new Date(Number.NaN))).toThrow(/valid Date/);
    await expect(startImdsEmulator({ ...IDENTITY, instanceId: '' })).rejects.toThrow(/non-empty instanceId/);
  });
});
