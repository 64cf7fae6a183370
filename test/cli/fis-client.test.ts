import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFisClient, fisEndpoint, FisError } from '../../cli/interrupt/fis-client.js';
import { signedService } from '../../local/gateway.js';

describe('FIS client', () => {
  const seen: Array<{ method?: string; url?: string; service?: string; region?: string; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, service: signedService(req.headers), region: /Credential=[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization))?.[1], body });
      if (req.url === '/experiments/bad') {
        res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/' });
        res.end(JSON.stringify({ message: 'role cannot be assumed' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.method === 'POST' ? { experimentTemplate: { id: 'EXT1' }, experiment: { id: 'EXP1' } } : { experiment: { state: { status: 'running' } } }));
    });
  });
  let endpoint: string;
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  const client = () =>
    createFisClient({ region: async () => 'eu-west-1', endpoint, credentials: async () => ({ accessKeyId: 'AKID', secretAccessKey: 'secret' }) });

  it('makes the REST-JSON calls, SigV4-signed for fis in the region', async () => {
    const fis = client();
    expect((await fis.createExperimentTemplate({ description: 'x' })).experimentTemplate?.id).toBe('EXT1');
    expect((await fis.startExperiment({ experimentTemplateId: 'EXT1', clientToken: 't' })).experiment?.id).toBe('EXP1');
    expect((await fis.getExperiment('EXP1')).experiment?.state?.status).toBe('running');
    await fis.deleteExperimentTemplate('EXT1');
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /experimentTemplates', 'POST /experiments', 'GET /experiments/EXP1', 'DELETE /experimentTemplates/EXT1']);
    expect(new Set(seen.map((s) => `${s.service}/${s.region}`))).toEqual(new Set(['fis/eu-west-1']));
    expect(JSON.parse(seen[1]!.body)).toEqual({ experimentTemplateId: 'EXT1', clientToken: 't' });
  });

  it("surfaces FIS's error type as the error name (the CLI retries ValidationException)", async () => {
    const err = (await client().getExperiment('bad').catch((e: unknown) => e)) as FisError;
    expect(err).toBeInstanceOf(FisError);
    expect(err.name).toBe('ValidationException');
    expect(err.message).toBe('role cannot be assumed');
  });

  it("uses FIS's regional endpoint in the region's partition", () => {
    expect(fisEndpoint('us-east-1')).toBe('https://fis.us-east-1.amazonaws.com');
    expect(fisEndpoint('cn-north-1')).toBe('https://fis.cn-north-1.amazonaws.com.cn');
  });
});
