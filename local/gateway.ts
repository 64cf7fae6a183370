import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The local cloud's AWS endpoint: a pass-through proxy in front of moto. Every client (the handler, the CLI,
 * `aws --endpoint-url`) talks to it exactly as to AWS. It knows no AWS API itself; the local runtime plugs in:
 *
 * - interceptors, which answer a request themselves (an API moto lacks, an injected fault, the local cloud's own
 *   status) or change it on its way to moto (local/spot/: ModifySpotFleetRequest without moto's instant
 *   terminations), and
 * - response observers, told of each request moto accepted, so the local data plane applies a change at once, as
 *   AWS's control plane pushes it to its data plane, instead of polling moto (local/alb/: registrations;
 *   local/spot/: fleet modifications and instance state changes).
 */

export interface GatewayProps {
  /** moto's endpoint, e.g. http://127.0.0.1:5000. */
  readonly upstream: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /**
   * Largest request body accepted; a larger one is answered 413 without being buffered. AWS's largest request
   * here is a Lambda CreateFunction with an inline zip (50 MB, base64 in JSON).
   * @default 70 MiB
   */
  readonly maxBodyBytes?: number;
  /**
   * Signs a request an interceptor changed (`{ forward }`) again for moto, which checks signatures when it
   * enforces IAM (local/iam/resign.ts). @default none (sent as changed, with the caller's signature)
   */
  readonly resign?: (original: GatewayRequest, rewritten: GatewayRequest) => Promise<GatewayRequest>;
}

export const DEFAULT_MAX_BODY_BYTES = 70 * 1024 * 1024;

/**
 * True for moto's admin API (`/moto-api/…`: read every resource, reset all state, change its configuration),
 * which no AWS client needs and which must not be one request away for any local user. Judged as moto's router
 * would see the path: percent-decoded, repeated slashes collapsed, any case.
 */
export function isMotoAdminPath(path: string): boolean {
  let decoded = path.split('?')[0] ?? '';
  for (let i = 0; i < 3 && decoded.includes('%'); i++) {
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      return true; // undecodable: refuse rather than guess what the upstream router makes of it
    }
  }
  return /^\/+moto-api(\/|$)/i.test(decoded.replace(/\/{2,}/g, '/')) || /^[a-z]+:\/\//i.test(decoded);
}

/** The parameters of a query-protocol call (EC2, ELB, SNS, SQS…: a form-encoded body), or undefined for others. */
export function queryParams(req: GatewayRequest): URLSearchParams | undefined {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return undefined;
  return new URLSearchParams(req.body.toString('utf8'));
}

/** An observer of the query-protocol calls `parse` recognizes: `listener` gets what it parsed. */
export function queryObserver<T>(parse: (params: URLSearchParams) => T | undefined, listener: (parsed: T) => void): ResponseObserver {
  return (req) => {
    const params = queryParams(req);
    const parsed = params && parse(params);
    if (parsed !== undefined) listener(parsed);
  };
}

/** The values of every parameter whose name matches `key` (`InstanceId.1`, `InstanceId.2`, …), in order. */
export function membersOf(params: URLSearchParams, key: RegExp): string[] {
  return [...params.entries()].filter(([name]) => key.test(name)).map(([, value]) => value);
}

/** A request as the gateway received it, body read. */
export interface GatewayRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface GatewayResponse {
  readonly status: number;
  readonly headers?: http.OutgoingHttpHeaders;
  readonly body: string | Buffer;
}

/** Sends moto this request instead of the one received; later interceptors see it too. */
export interface ForwardInstead {
  readonly forward: GatewayRequest;
}

export type InterceptorResult = GatewayResponse | ForwardInstead | undefined;

/**
 * Answers a request itself (an API moto lacks, a fault being injected, the local cloud's own status), changes
 * it on its way to moto (`{ forward }`), or returns undefined to let it through as it is.
 */
export type Interceptor = (req: GatewayRequest) => Promise<InterceptorResult> | InterceptorResult;

/**
 * Told of a request moto accepted (a 2xx answer), once moto has applied it: `request` is what the caller sent,
 * before any interceptor changed it. Observers must not throw; they run before the answer goes back.
 */
export type ResponseObserver = (request: GatewayRequest, status: number) => void;

/** The AWS service a SigV4-signed request is for (`ec2`, `elasticloadbalancing`, `sns`, …). */
export function signedService(headers: http.IncomingHttpHeaders): string | undefined {
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(headers.authorization ?? ''))?.[1];
}

/**
 * The Host header moto is sent: the one the caller signed (SigV4 signs `host`, and moto enforcing IAM recomputes
 * the signature from the headers it receives), else moto's own.
 */
export function signedHost(req: GatewayRequest, upstream: URL): string {
  return typeof req.headers.host === 'string' && req.headers.host !== '' ? req.headers.host : upstream.host;
}

function unavailable(err: Error): GatewayResponse {
  return { status: 503, headers: { 'content-type': 'text/plain' }, body: `local cloud: AWS endpoint unavailable (${err.message})` };
}

export class AwsGateway {
  private readonly server: http.Server;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly upstream: URL;
  private readonly interceptors: Interceptor[] = [];
  private readonly observers: ResponseObserver[] = [];
  private url?: string;

  constructor(private readonly props: GatewayProps) {
    this.upstream = new URL(props.upstream);
    this.server = http.createServer((req, res) => this.forward(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  /** Listens and returns the endpoint URL to give to SDK clients. */
  async start(): Promise<string> {
    const host = this.props.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.props.port ?? 0, host, () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://${host}:${port}`;
    return this.url;
  }

  get endpoint(): string {
    if (!this.url) throw new Error('gateway not started');
    return this.url;
  }

  /** Interceptors run in the order added; the first answer wins. Returns what removes it. */
  intercept(interceptor: Interceptor): () => void {
    return addTo(this.interceptors, interceptor);
  }

  /**
   * An injected fault runs before every interceptor, whenever it is added: on AWS an outage or a throttle hits a
   * call before any part of the service answers it, so no answer from the local data plane (target health, the
   * fleet's instances) may slip past it. Returns what removes it.
   */
  injectFault(fault: Interceptor): () => void {
    this.interceptors.unshift(fault);
    return () => {
      const i = this.interceptors.indexOf(fault);
      if (i >= 0) this.interceptors.splice(i, 1);
    };
  }

  /** Observers run in the order added, for every request moto accepted. Returns what removes it. */
  observe(observer: ResponseObserver): () => void {
    return addTo(this.observers, observer);
  }

  /**
   * Sends a request to moto as it came and returns moto's answer, for an interceptor that corrects moto's answer
   * from the data plane (moto stays the store). moto unreachable: a 503, as from an unreachable AWS endpoint.
   */
  async forwardToUpstream(req: GatewayRequest): Promise<GatewayResponse> {
    const headers = { ...req.headers, host: signedHost(req, this.upstream), 'content-length': String(req.body.length) };
    return new Promise((resolve) => {
      const upstreamReq = http.request(
        { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.path, headers, agent: this.agent },
        (upstreamRes) => {
          const chunks: Buffer[] = [];
          upstreamRes.on('data', (c: Buffer) => chunks.push(c));
          upstreamRes.on('end', () => {
            const { 'content-length': _length, 'transfer-encoding': _encoding, ...rest } = upstreamRes.headers;
            resolve({ status: upstreamRes.statusCode ?? 502, headers: rest, body: Buffer.concat(chunks) });
          });
          upstreamRes.on('error', (err) => resolve(unavailable(err)));
        },
      );
      upstreamReq.on('error', (err) => resolve(unavailable(err)));
      upstreamReq.end(req.body);
    });
  }

  /**
   * Sends moto `rewritten` (re-signed as the caller when it differs from `original`, as a `{ forward }` is) and
   * returns its answer; on a 2xx the observers hear of `original` first, as for a request moto took through the
   * gateway. For an interceptor that must see moto's answer before it answers the caller, and whose request changes
   * what the observers follow (a registration).
   */
  async sendObserved(original: GatewayRequest, rewritten: GatewayRequest = original): Promise<GatewayResponse> {
    const signed = rewritten !== original && this.props.resign ? await this.props.resign(original, rewritten) : rewritten;
    const answer = await this.forwardToUpstream(signed);
    if (answer.status < 300) this.notifyObservers(original, answer.status);
    return answer;
  }

  /** Tells the observers moto accepted `request` (also when an interceptor completed it in several calls). */
  notifyObservers(request: GatewayRequest, status: number): void {
    for (const observe of [...this.observers]) observe(request, status);
  }

  async close(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (isMotoAdminPath(req.url ?? '/')) {
      res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' });
      res.end("local cloud gateway: moto's admin API is not served here\n");
      req.resume();
      return;
    }
    const limit = this.props.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const tooLarge = (): void => {
      res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`local cloud gateway: request body larger than ${limit} bytes\n`);
      req.destroy();
    };
    if (Number(req.headers['content-length'] ?? 0) > limit) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        chunks.length = 0;
        if (!res.headersSent) tooLarge();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size > limit) return;
      void this.route(req, res, Buffer.concat(chunks)).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`local cloud gateway error: ${err.message}`);
      });
    });
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse, received: Buffer): Promise<void> {
    const request: GatewayRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: received };
    let forwarded = request;
    for (const interceptor of [...this.interceptors]) {
      const answer = await interceptor(forwarded);
      if (answer && 'forward' in answer) {
        forwarded = answer.forward;
      } else if (answer) {
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
        return;
      }
    }
    if (forwarded !== request && this.props.resign) forwarded = await this.props.resign(request, forwarded);
    this.toMoto(request, forwarded, res);
  }

  private toMoto(request: GatewayRequest, forwarded: GatewayRequest, res: http.ServerResponse): void {
    const { body } = forwarded;
    const headers = { ...forwarded.headers, host: signedHost(forwarded, this.upstream), 'content-length': String(body.length) };
    const upstreamReq = http.request(
      { host: this.upstream.hostname, port: this.upstream.port, method: forwarded.method, path: forwarded.path, headers, agent: this.agent },
      (upstreamRes) => {
        const status = upstreamRes.statusCode ?? 502;
        // moto has applied the change by now; observers hear of it before the caller does.
        if (status < 300) this.notifyObservers(request, status);
        res.writeHead(status, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on('error', (err) => {
      // moto is down: answer as an unreachable AWS endpoint would, so SDK retry logic sees a 5xx.
      if (!res.headersSent) res.writeHead(503, { 'content-type': 'text/plain' });
      res.end(`local cloud: AWS endpoint unavailable (${err.message})`);
    });
    upstreamReq.end(body);
  }
}

function addTo<T>(list: T[], item: T): () => void {
  list.push(item);
  return () => {
    const i = list.indexOf(item);
    if (i >= 0) list.splice(i, 1);
  };
}
