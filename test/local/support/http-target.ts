import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 playing an instance behind the load balancer:
 *   /health          -> the status set with setHealth (200 at first)
 *   /slow?ms=N       -> 200 after N ms
 *   /reset           -> the connection is destroyed without an answer
 *   /echo            -> the request body back, and the request headers as JSON in `x-seen-headers`
 *   anything else    -> 200 with the target's name
 */
export class HttpTarget {
  healthChecks = 0;
  requests = 0;
  inFlight = 0;
  lastHeaders: IncomingHttpHeaders = {};
  private healthStatus = 200;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  port = 0;

  constructor(readonly name: string) {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://target');
      if (url.pathname === '/health') {
        this.healthChecks++;
        res.writeHead(this.healthStatus).end();
        return;
      }
      this.requests++;
      this.inFlight++;
      res.on('close', () => this.inFlight--);
      this.lastHeaders = req.headers;
      if (url.pathname === '/slow') {
        setTimeout(() => res.end(this.name), Number(url.searchParams.get('ms') ?? 0));
      } else if (url.pathname === '/reset') {
        req.socket.destroy();
      } else if (url.pathname === '/echo') {
        res.writeHead(200, { 'x-seen-headers': JSON.stringify(req.headers) });
        req.pipe(res);
      } else {
        res.end(this.name);
      }
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  get endpoint() {
    return { host: '127.0.0.1', port: this.port };
  }

  setHealth(status: number): void {
    this.healthStatus = status;
  }

  /** Stops listening and cuts every open connection: the instance is gone. */
  async kill(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
}

/** One request; a cut connection rejects. */
export function get(url: string, options: { method?: string; body?: string | Buffer; agent?: import('node:http').Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', agent: options.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function waitFor(condition: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
