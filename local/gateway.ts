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
 *
 * Changes that went through are also announced (registrations, instance state changes), so the local data
 * plane applies them at once, as AWS's control plane pushes them to its data plane, instead of polling moto.
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
  /** An EC2 call that ends, stops or starts instances went through. */
  'instances-changed': [InstancesChange];
}

export interface InstancesChange {
  readonly action: string;
  readonly instanceIds: readonly string[];
}

/** EC2 calls after which an instance may no longer be live, or live again. */
const INSTANCE_STATE_ACTIONS = new Set(['TerminateInstances', 'StopInstances', 'StartInstances']);

/** The instances a TerminateInstances / StopInstances / StartInstances query-protocol call names, if it is one. */
export function instancesChangeOf(params: URLSearchParams): InstancesChange | undefined {
  const action = params.get('Action');
  if (action === null || !INSTANCE_STATE_ACTIONS.has(action)) return undefined;
  return { action, instanceIds: membersOf(params, /^InstanceId\.\d+$/) };
}

function membersOf(params: URLSearchParams, key: RegExp): string[] {
  return [...params.entries()].filter(([name]) => key.test(name)).map(([, value]) => value);
}

export interface TargetChange {
  readonly action: 'RegisterTargets' | 'DeregisterTargets';
  readonly targetGroupArn: string;
  readonly targetIds: readonly string[];
}

/** The registration change a RegisterTargets / DeregisterTargets query-protocol body asks for, if it is one. */
export function targetChangeOf(params: URLSearchParams): TargetChange | undefined {
  const action = params.get('Action');
  const targetGroupArn = params.get('TargetGroupArn');
  if ((action !== 'RegisterTargets' && action !== 'DeregisterTargets') || !targetGroupArn) return undefined;
  return { action, targetGroupArn, targetIds: membersOf(params, /^Targets\.member\.\d+\.Id$/) };
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

/** For a ModifySpotFleetRequest query-protocol call, the body to send moto instead and what the caller asked. */
export function rewriteFleetModification(params: URLSearchParams): { body: string; modification: FleetModification } | undefined {
  if (params.get('Action') !== 'ModifySpotFleetRequest') return undefined;
  const id = params.get('SpotFleetRequestId');
  if (!id) return undefined;
  const capacity = params.get('TargetCapacity');
  const asked = params.get('ExcessCapacityTerminationPolicy');
  const forMoto = new URLSearchParams(params);
  forMoto.set('ExcessCapacityTerminationPolicy', 'noTermination');
  return {
    body: forMoto.toString(),
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
    let instancesChange: InstancesChange | undefined;
    if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      const params = new URLSearchParams(body.toString('utf8'));
      const rewritten = rewriteFleetModification(params);
      modification = rewritten?.modification;
      if (rewritten) body = Buffer.from(rewritten.body, 'utf8');
      targetChange = targetChangeOf(params);
      instancesChange = instancesChangeOf(params);
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
        if (ok && instancesChange) this.emit('instances-changed', instancesChange);
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
