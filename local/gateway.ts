import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The local cloud's AWS endpoint: a pass-through proxy in front of moto that lets the local runtime play the
 * parts of the Spot service moto does not. Every client (the handler, the CLI, `aws --endpoint-url`) talks to
 * this endpoint exactly as to AWS; only one call is touched on its way:
 *
 * ModifySpotFleetRequest. moto terminates excess instances the moment capacity drops, with no warning. On
 * AWS a reclaimed Spot instance gets a two-minute interruption notice first, which is the whole point of this
 * project. So moto is told `noTermination` (it then only records the new capacity) and the caller's policy is
 * reported to the runtime's Spot Fleet emulation, which warns and later terminates the instances itself.
 */

export interface FleetModification {
  readonly spotFleetRequestId: string;
  readonly targetCapacity?: number;
  /** What the caller asked for: `default` (terminate excess) unless it said `noTermination`. */
  readonly excessCapacityTerminationPolicy: 'default' | 'noTermination';
}

export interface GatewayProps {
  /** moto's endpoint, e.g. http://127.0.0.1:5000. */
  readonly upstream: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
}

export interface GatewayEvents {
  'fleet-modified': [FleetModification];
  /** RegisterTargets or DeregisterTargets went through. */
  'targets-changed': [TargetChange];
}

export interface TargetChange {
  readonly action: 'RegisterTargets' | 'DeregisterTargets';
  readonly targetGroupArn: string;
  readonly targetIds: readonly string[];
}

/** The registration change a RegisterTargets / DeregisterTargets query-protocol body asks for, if it is one. */
export function targetChangeOf(body: string): TargetChange | undefined {
  const params = new URLSearchParams(body);
  const action = params.get('Action');
  const targetGroupArn = params.get('TargetGroupArn');
  if ((action !== 'RegisterTargets' && action !== 'DeregisterTargets') || !targetGroupArn) return undefined;
  const targetIds = [...params.entries()].filter(([key]) => /^Targets\.member\.\d+\.Id$/.test(key)).map(([, id]) => id);
  return { action, targetGroupArn, targetIds };
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

/**
 * Answers a request itself (an API moto lacks, a fault being injected, the local cloud's own status) or
 * returns undefined to let it through to moto.
 */
export type Interceptor = (req: GatewayRequest) => Promise<GatewayResponse | undefined> | GatewayResponse | undefined;

/** The AWS service a SigV4-signed request is for (`ec2`, `elasticloadbalancing`, `sns`, …). */
export function signedService(headers: http.IncomingHttpHeaders): string | undefined {
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(headers.authorization ?? ''))?.[1];
}

/** Parses an EC2 query-protocol body and, for ModifySpotFleetRequest, rewrites it and says what was asked. */
export function rewriteFleetModification(body: string): { body: string; modification?: FleetModification } {
  const params = new URLSearchParams(body);
  if (params.get('Action') !== 'ModifySpotFleetRequest') return { body };
  const id = params.get('SpotFleetRequestId');
  if (!id) return { body };
  const capacity = params.get('TargetCapacity');
  const asked = params.get('ExcessCapacityTerminationPolicy');
  params.set('ExcessCapacityTerminationPolicy', 'noTermination');
  return {
    body: params.toString(),
    modification: {
      spotFleetRequestId: id,
      targetCapacity: capacity === null ? undefined : Number(capacity),
      excessCapacityTerminationPolicy: asked === 'noTermination' ? 'noTermination' : 'default',
    },
  };
}

export class AwsGateway extends EventEmitter<GatewayEvents> {
  private readonly server: http.Server;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly upstream: URL;
  private readonly interceptors: Interceptor[] = [];
  private url?: string;

  constructor(private readonly props: GatewayProps) {
    super();
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

  /** Interceptors run in the order added; the first answer wins. */
  intercept(interceptor: Interceptor): () => void {
    this.interceptors.push(interceptor);
    return () => {
      const i = this.interceptors.indexOf(interceptor);
      if (i >= 0) this.interceptors.splice(i, 1);
    };
  }

  async close(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void this.route(req, res, Buffer.concat(chunks)).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`local cloud gateway error: ${err.message}`);
      });
    });
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse, received: Buffer): Promise<void> {
    const request: GatewayRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: received };
    for (const interceptor of this.interceptors) {
      const answer = await interceptor(request);
      if (answer) {
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
        return;
      }
    }
    this.toMoto(req, res, received);
  }

  private toMoto(req: http.IncomingMessage, res: http.ServerResponse, received: Buffer): void {
    let body = received;
    let modification: FleetModification | undefined;
    let targetChange: TargetChange | undefined;
    if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      const text = body.toString('utf8');
      const rewritten = rewriteFleetModification(text);
      modification = rewritten.modification;
      if (modification) body = Buffer.from(rewritten.body, 'utf8');
      targetChange = targetChangeOf(text);
    }
    const headers = { ...req.headers, host: this.upstream.host, 'content-length': String(body.length) };
    const upstreamReq = http.request(
      { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers, agent: this.agent },
      (upstreamRes) => {
        const ok = (upstreamRes.statusCode ?? 500) < 300;
        if (ok && modification) this.emit('fleet-modified', modification);
        // moto has applied the change by now. ELB's control plane pushes a registration change to its data plane
        // at once; so does ours, rather than leaving it to the next poll.
        if (ok && targetChange) this.emit('targets-changed', targetChange);
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
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
