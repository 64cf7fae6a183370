import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InstanceIdentity } from './identity.js';
import { FAVICON_SVG, renderHelloPage } from './page.js';

export interface AppServerOptions {
  readonly healthPath: string;
  readonly identity: {
    current(): InstanceIdentity;
    settled(): Promise<InstanceIdentity>;
  };
  /** False once the instance should leave the load balancer (Spot notice seen). */
  readonly inService: () => boolean;
  /** Above the load balancer's idle timeout, so the load balancer closes idle connections first (keep-alive.ts). */
  readonly keepAliveTimeoutMs: number;
  /** Above keepAliveTimeoutMs. */
  readonly headersTimeoutMs: number;
}

export interface DrainResult {
  /** Requests still open when the deadline passed, cut off. */
  readonly cutOff: number;
}

export interface AppServer {
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Requests being answered right now. */
  inFlight(): number;
  /** Stops accepting connections and waits for in-flight requests, at most `timeoutMs`. */
  drain(timeoutMs: number): Promise<DrainResult>;
}

export function createAppServer(options: AppServerOptions): AppServer {
  let draining = false;
  const open = new Set<http.ServerResponse>();

  const server = http.createServer((request, response) => {
    open.add(response);
    response.on('close', () => open.delete(response));
    if (draining) response.shouldKeepAlive = false;
    respond(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, 'text/plain', 'internal error\n');
      else response.destroy(error instanceof Error ? error : undefined);
    });
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  server.headersTimeout = options.headersTimeoutMs;
  // Node's whole-request limit (300 s by default) must not be below the headers timeout.
  server.requestTimeout = Math.max(server.requestTimeout, options.headersTimeoutMs);

  async function respond(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const path = (request.url ?? '/').split('?')[0];
    if (method !== 'GET' && method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      send(response, 405, 'text/plain', 'method not allowed\n');
      return;
    }
    if (path === options.healthPath) {
      const healthy = options.inService() && !draining;
      send(response, healthy ? 200 : 503, 'text/plain', healthy ? 'ok\n' : 'out of service\n');
      return;
    }
    if (path === '/') {
      // Right after boot the first identity lookup may still be running: wait for it rather than say "unknown".
      const identity = await options.identity.settled();
      send(response, 200, 'text/html; charset=utf-8', renderHelloPage(identity));
      return;
    }
    if (path === '/favicon.ico') {
      // Cached for a day: a browser that asks at all asks once, not on every reload.
      send(response, 200, 'image/svg+xml', FAVICON_SVG, 'public, max-age=86400');
      return;
    }
    send(response, 404, 'text/plain', 'not found\n');
  }

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    inFlight: () => open.size,
    drain(timeoutMs) {
      draining = true;
      // Keep-alive would hold connections open past the drain: answers still to come say "Connection: close".
      for (const response of open) if (!response.headersSent) response.shouldKeepAlive = false;
      return new Promise((resolve) => {
        const deadline = setTimeout(() => {
          const cutOff = open.size;
          server.closeAllConnections();
          resolve({ cutOff });
        }, timeoutMs);
        server.close(() => {
          clearTimeout(deadline);
          resolve({ cutOff: 0 });
        });
        // Idle keep-alive connections have no request to finish; without this close() would wait on them.
        server.closeIdleConnections();
      });
    },
  };
}

function send(response: http.ServerResponse, status: number, contentType: string, body: string, cacheControl = 'no-store'): void {
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': cacheControl,
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
