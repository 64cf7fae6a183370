import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Test-only stand-in for a misbehaving IMDS: sits in front of a real (emulated) one and, per mode,
 * forwards faithfully, forwards late, forwards marked as proxied (IMDS then refuses tokens),
 * answers garbage with 200, or never answers.
 */
export type FaultMode =
  | { kind: 'forward' }
  | { kind: 'delay'; ms: number }
  | { kind: 'as-proxy' }
  | { kind: 'garbage' }
  | { kind: 'hang' };

export interface FaultyImds {
  readonly url: string;
  mode: FaultMode;
  close(): Promise<void>;
}

export async function startFaultyImds(upstream: string, mode: FaultMode = { kind: 'forward' }): Promise<FaultyImds> {
  const target = new URL(upstream);
  const proxy: FaultyImds = { url: '', mode, close: async () => undefined };

  const server = http.createServer((request, response) => {
    const current = proxy.mode;
    if (current.kind === 'hang') return;
    if (current.kind === 'garbage') {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end('\u0000{not json <html>\u00ff\n\t garbage');
      return;
    }
    const body: Buffer[] = [];
    request.on('data', (chunk: Buffer) => body.push(chunk));
    request.on('end', () => {
      const headers = current.kind === 'as-proxy' ? { ...request.headers, 'x-forwarded-for': '10.0.0.1' } : request.headers;
      const forward = (): void => {
        const upstreamRequest = http.request(
          { host: target.hostname, port: target.port, path: request.url, method: request.method, headers, agent: false },
          (upstreamResponse) => {
            response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
            upstreamResponse.pipe(response);
          },
        );
        upstreamRequest.on('error', () => response.destroy());
        upstreamRequest.end(Buffer.concat(body));
      };
      if (current.kind === 'delay') setTimeout(forward, current.ms);
      else forward();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
