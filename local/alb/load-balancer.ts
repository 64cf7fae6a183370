import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { NetConnectOpts, Socket } from 'node:net';
import { assertValidPort, isAddressInUse, loadBalancerPortInUse } from '../ports.js';
import { BackendAgent } from './backend-agent.js';
import { parseMatcher } from './matcher.js';
import { probeHealth } from './health-probe.js';
import { forward, type ForwardOutcome } from './proxy.js';
import { RequestLog } from './request-log.js';
import { INITIAL_HEALTH, applyProbe, type HealthTally } from './target-health.js';
import type { HealthCheckSettings, TargetEndpoint, TargetState } from './types.js';
import { setMaxListeners } from 'node:events';

export interface LocalLoadBalancerProps {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  readonly healthCheck: HealthCheckSettings;
  /** How long a deregistered target may finish in-flight requests before they are cut. */
  readonly deregistrationDelayMs: number;
  /** Where target `id` listens now; undefined = nowhere (its checks fail, requests to it get 502). */
  readonly resolveTarget: (id: string) => TargetEndpoint | undefined;
  /**
   * The connection idle timeout (`idle_timeout.timeout_seconds`), for client and target connections as on ALB:
   * idle connections to targets are reused until then and closed after; idle client connections too; and
   * silence from a target in the middle of a request for this long answers 504. @default 60_000 (ALB's default)
   */
  readonly idleTimeoutMs?: number;
  /** Epoch milliseconds; for request windows and draining deadlines. @default Date.now */
  readonly now?: () => number;
  /** Told of every state change, including removal (`to: 'removed'`). */
  readonly onTargetStateChange?: (change: TargetStateChange) => void;
}

export interface TargetStateChange {
  readonly id: string;
  readonly from: TargetState | 'new';
  readonly to: TargetState | 'removed';
  readonly reason?: string;
}

export interface TargetSnapshot {
  readonly id: string;
  readonly state: TargetState;
  /** ELB reason code, e.g. `Elb.InitialHealthChecking`, `Target.Timeout`, `Target.DeregistrationInProgress`. */
  readonly reason?: string;
  readonly description?: string;
  /** Epoch ms at which in-flight requests are cut and the target leaves the group; only while draining. */
  readonly drainingUntil?: number;
  /**
   * Epoch ms at which the drain itself completed early (nothing in flight, no connection open); only while
   * draining. ELB still shows the target `draining` until `drainingUntil` (see LocalLoadBalancer).
   */
  readonly drainCompletedAt?: number;
  readonly inFlight: number;
  /** Requests routed to this target since it was registered. */
  readonly requests: number;
}

export interface LoadBalancerCounters {
  /** Requests the listener received. */
  readonly received: number;
  /** Requests routed to a target. */
  readonly routed: number;
  /** Answered by the LB itself: no target to route to (503), target failed (502), target silent (504). */
  readonly elb503: number;
  readonly elb502: number;
  readonly elb504: number;
}

interface TargetRecord {
  readonly id: string;
  health: HealthTally;
  draining?: { readonly until: number; readonly timer: NodeJS.Timeout; readonly endpoint?: string; completedAt?: number };
  /** Aborted when the deregistration delay runs out, cutting what is still in flight. */
  cutoff: AbortController;
  checkTimer?: NodeJS.Timeout;
  inFlight: number;
  requests: number;
}

/**
 * The data plane of an Application Load Balancer with one listener and one target group, on this machine:
 * health checks move targets between initial, healthy and unhealthy; requests go round robin to healthy
 * targets, and, as a real ALB "fails open", to the unhealthy ones when none is healthy; with neither (nothing
 * registered, or only targets still in their first checks or draining) it answers 503; deregistration drains.
 *
 * Simplifications, on purpose: failing open leaves out targets still in their first checks (AWS's wording
 * differs between pages on whether they count; a target that has not answered once is the likeliest dead); a
 * no WebSocket upgrades; one availability zone.
 *
 * Draining as ELB documents it ("Deregistration delay", ELB user guide for Application Load Balancers,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay):
 * a deregistered target stays `draining` while it has requests in flight or open connections from the load
 * balancer, up to the deregistration delay; "if a deregistering target has no in-flight requests and no active
 * connections", the deregistration completes at once, "however, even though target deregistration is complete, the
 * status of the target is displayed as draining until the deregistration delay timeout expires". So a drained
 * target keeps its record (state `draining`, `drainCompletedAt` set, nothing routed to it) until the delay ends,
 * and only then is removed (`unused` in DescribeTargetHealth).
 */
export class LocalLoadBalancer {
  private readonly records = new Map<string, TargetRecord>();
  private readonly log = new RequestLog();
  private readonly isSuccess: (status: number) => boolean;
  private readonly agent: BackendAgent;
  private readonly idleTimeoutMs: number;
  private readonly now: () => number;
  private readonly server: Server;
  private nextIndex = 0;
  private listenerPort?: number;
  private closed = false;
  private readonly counts = { received: 0, routed: 0, elb503: 0, elb502: 0, elb504: 0 };
  /** Open connections to targets (busy or idle in the pool), by `host:port`. */
  private readonly connections = new Map<string, Set<Socket>>();

  constructor(private readonly props: LocalLoadBalancerProps) {
    validate(props);
    this.isSuccess = parseMatcher(props.healthCheck.matcher);
    this.now = props.now ?? Date.now;
    this.idleTimeoutMs = props.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.agent = new BackendAgent(this.idleTimeoutMs);
    this.server = createServer((req, res) => this.handle(req, res));
    // Every connection to a target is counted while it is open: a draining target completes only without them.
    const connect = this.agent.createConnection.bind(this.agent) as (options: NetConnectOpts, callback?: unknown) => Socket;
    (this.agent as unknown as { createConnection: typeof connect }).createConnection = (options, callback) => {
      const socket = connect(options, callback);
      this.trackConnection(`${(options as { host?: string }).host}:${(options as { port?: number }).port}`, socket);
      return socket;
    };
    // Clients keep connections to an ALB open for a long time; do not cut them before targets answer.
    this.server.requestTimeout = 0;
    // An idle client connection is closed after the idle timeout, not Node's 5 s: a client whose own keep-alive is
    // shorter than ALB's would otherwise meet, on this side, the race the targets must avoid on theirs.
    this.server.keepAliveTimeout = this.idleTimeoutMs;
    this.server.headersTimeout = Math.max(this.server.headersTimeout, this.idleTimeoutMs + 1000);
  }

  /** Listens and resolves to `http://<host>:<port>`. */
  async start(): Promise<string> {
    const host = this.props.host ?? '127.0.0.1';
    const port = this.props.port ?? 0;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        reject(
          isAddressInUse(err) ? loadBalancerPortInUse(port, host) : err,
        );
      };
      this.server.once('error', onError);
      this.server.listen({ port, host, exclusive: true }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.listenerPort = (this.server.address() as { port: number }).port;
    return this.url;
  }

  get url(): string {
    if (this.listenerPort === undefined) throw new Error('LocalLoadBalancer is not started');
    return `http://${this.props.host ?? '127.0.0.1'}:${this.listenerPort}`;
  }

  /** Stops listening, health checks and drain timers; cuts open connections. */
  async close(): Promise<void> {
    this.closed = true;
    for (const record of this.records.values()) this.stopTimers(record);
    this.records.clear();
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    this.agent.destroy();
    if (this.listenerPort !== undefined) await closing;
  }

  /** Adds a target in `initial`; a draining one comes back and is checked afresh. No-op if registered. */
  register(id: string): void {
    if (this.closed) return;
    const existing = this.records.get(id);
    if (existing && !existing.draining) return;
    if (existing?.draining) {
      clearTimeout(existing.draining.timer);
      existing.draining = undefined;
      existing.health = INITIAL_HEALTH;
      this.emit(id, 'draining', 'initial', INITIAL_HEALTH.reason);
      this.scheduleCheck(existing, 0);
      return;
    }
    const cutoff = new AbortController();
    // Every in-flight request to the target listens on this signal: hundreds at once are normal, not a leak.
    setMaxListeners(0, cutoff.signal);
    const record: TargetRecord = { id, health: INITIAL_HEALTH, cutoff, inFlight: 0, requests: 0 };
    this.records.set(id, record);
    this.emit(id, 'new', 'initial', INITIAL_HEALTH.reason);
    this.scheduleCheck(record, 0);
  }

  /**
   * Starts draining: no new requests, no more health checks. The drain completes at once when nothing is in flight
   * and no connection to the target is open, else when the last of them ends; what is left when the
   * deregistration delay runs out is cut. Either way the target shows `draining` until the delay ends, then is
   * removed, as ELB displays it.
   * Returns false when `id` was not registered.
   */
  deregister(id: string): boolean {
    const record = this.records.get(id);
    if (!record) return false;
    if (record.draining) return true;
    const from = record.health.state;
    clearTimeout(record.checkTimer);
    record.checkTimer = undefined;
    const endpoint = this.endpointKey(id);
    const timer = setTimeout(() => {
      record.cutoff.abort(new Error('deregistration delay elapsed'));
      this.remove(record, 'draining');
    }, this.props.deregistrationDelayMs);
    record.draining = { until: this.now() + this.props.deregistrationDelayMs, timer, ...(endpoint && { endpoint }) };
    this.emit(id, from, 'draining', 'Target.DeregistrationInProgress');
    this.completeDrainIfIdle(record);
    return true;
  }

  targets(): TargetSnapshot[] {
    return [...this.records.values()].map((r) => ({
      id: r.id,
      state: stateOf(r),
      reason: r.draining ? 'Target.DeregistrationInProgress' : r.health.reason,
      description: r.draining ? 'Target deregistration is in progress' : r.health.description,
      drainingUntil: r.draining?.until,
      drainCompletedAt: r.draining?.completedAt,
      inFlight: r.inFlight,
      requests: r.requests,
    }));
  }

  counters(): LoadBalancerCounters {
    return { ...this.counts };
  }

  /** Requests routed to targets from `sinceMs` (epoch ms) until now; 100 ms resolution, 15 min memory. */
  requestCount(sinceMs: number): number {
    return this.log.count(sinceMs, this.now());
  }

  /**
   * The targets requests go to now: the healthy ones, or all unhealthy ones while failing open. Dividing by
   * this, a fleet that fails open does not look like all its load on one target to the autoscaler.
   */
  targetsInService(): number {
    return this.routable().length;
  }

  /**
   * ALBRequestCountPerTarget over the last `windowMs`: requests routed divided by the targets in service (by
   * 1 when there are none). A time-scaled autoscaler passes its scaled minute.
   */
  requestCountPerTarget(windowMs = 60_000): number {
    return this.requestCount(this.now() - windowMs) / Math.max(1, this.targetsInService());
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.counts.received++;
    const record = this.pick();
    const target = record && this.props.resolveTarget(record.id);
    if (!record) {
      this.counts.elb503++;
      answer(res, 503, '503 Service Temporarily Unavailable');
      return;
    }
    record.inFlight++;
    record.requests++;
    this.counts.routed++;
    this.log.add(this.now());
    const done = (outcome: ForwardOutcome) => this.finished(record, outcome);
    if (!target) {
      answer(res, 502, '502 Bad Gateway');
      done('bad-gateway');
      return;
    }
    forward(req, res, {
      target,
      agent: this.agent,
      listenerPort: this.listenerPort as number,
      idleTimeoutMs: this.idleTimeoutMs,
      signal: record.cutoff.signal,
    }).then(done, () => done('bad-gateway'));
  }

  private finished(record: TargetRecord, outcome: ForwardOutcome): void {
    record.inFlight--;
    if (outcome === 'bad-gateway') this.counts.elb502++;
    if (outcome === 'gateway-timeout') this.counts.elb504++;
    this.completeDrainIfIdle(record);
  }

  /**
   * A draining target with nothing in flight and no open connection is done draining; it stays displayed as
   * `draining` until the deregistration delay's timer removes it.
   */
  private completeDrainIfIdle(record: TargetRecord): void {
    const { draining } = record;
    if (!draining || draining.completedAt !== undefined || record.inFlight > 0 || this.openConnections(draining.endpoint) > 0) return;
    draining.completedAt = this.now();
  }

  private endpointKey(id: string): string | undefined {
    const target = this.props.resolveTarget(id);
    return target && `${target.host}:${target.port}`;
  }

  private openConnections(endpoint: string | undefined): number {
    return endpoint === undefined ? 0 : (this.connections.get(endpoint)?.size ?? 0);
  }

  private trackConnection(endpoint: string, socket: Socket): void {
    let open = this.connections.get(endpoint);
    if (!open) this.connections.set(endpoint, (open = new Set()));
    open.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      if (open.size === 0) this.connections.delete(endpoint);
      for (const record of this.records.values()) if (record.draining?.endpoint === endpoint) this.completeDrainIfIdle(record);
    });
  }

  private pick(): TargetRecord | undefined {
    const candidates = this.routable();
    if (candidates.length === 0) return undefined;
    return candidates[this.nextIndex++ % candidates.length];
  }

  private routable(): TargetRecord[] {
    const records = [...this.records.values()];
    const healthy = records.filter((r) => stateOf(r) === 'healthy');
    // A target group with only unhealthy targets routes to all of them: a health check that fails everywhere
    // at once is more likely wrong than every target dead.
    return healthy.length > 0 ? healthy : records.filter((r) => stateOf(r) === 'unhealthy');
  }

  private remove(record: TargetRecord, from: TargetState): void {
    this.stopTimers(record);
    if (this.records.get(record.id) === record) this.records.delete(record.id);
    this.emit(record.id, from, 'removed');
  }

  private stopTimers(record: TargetRecord): void {
    clearTimeout(record.checkTimer);
    if (record.draining) clearTimeout(record.draining.timer);
  }

  private scheduleCheck(record: TargetRecord, delayMs: number): void {
    record.checkTimer = setTimeout(() => void this.check(record), delayMs);
  }

  private async check(record: TargetRecord): Promise<void> {
    const { healthCheck } = this.props;
    const started = Date.now();
    const target = this.props.resolveTarget(record.id);
    const result = target
      ? await probeHealth(target, healthCheck.path, healthCheck.timeoutMs, this.isSuccess)
      : ({ ok: false, reason: 'Target.FailedHealthChecks', description: 'Target has no local endpoint' } as const);
    if (this.closed || record.draining || this.records.get(record.id) !== record) return;
    const before = record.health.state;
    record.health = applyProbe(record.health, result, healthCheck);
    if (record.health.state !== before) this.emit(record.id, before, record.health.state, record.health.reason);
    this.scheduleCheck(record, Math.max(0, healthCheck.intervalMs - (Date.now() - started)));
  }

  private emit(id: string, from: TargetStateChange['from'], to: TargetStateChange['to'], reason?: string): void {
    this.props.onTargetStateChange?.({ id, from, to, reason });
  }
}

/** ALB's default connection idle timeout. */
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

function stateOf(record: TargetRecord): TargetState {
  return record.draining ? 'draining' : record.health.state;
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) + 1 });
  res.end(`${text}\n`);
}

function validate(props: LocalLoadBalancerProps): void {
  const { healthCheck: hc } = props;
  if (props.port !== undefined) assertValidPort(props.port, 'load balancer port');
  const positive: Array<[string, number]> = [
    ['healthCheck.intervalMs', hc.intervalMs],
    ['healthCheck.timeoutMs', hc.timeoutMs],
  ];
  for (const [name, value] of positive) {
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number, got ${value}`);
  }
  if (hc.timeoutMs >= hc.intervalMs) {
    throw new RangeError(`healthCheck.timeoutMs (${hc.timeoutMs}) must be below intervalMs (${hc.intervalMs}), as on AWS`);
  }
  for (const [name, value] of [
    ['healthCheck.healthyThreshold', hc.healthyThreshold],
    ['healthCheck.unhealthyThreshold', hc.unhealthyThreshold],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be an integer >= 1, got ${value}`);
  }
  if (!hc.path.startsWith('/')) throw new RangeError(`healthCheck.path must start with '/', got '${hc.path}'`);
  if (props.idleTimeoutMs !== undefined && !(Number.isFinite(props.idleTimeoutMs) && props.idleTimeoutMs > 0)) {
    throw new RangeError(`idleTimeoutMs must be a positive number, got ${props.idleTimeoutMs}`);
  }
  if (!(Number.isFinite(props.deregistrationDelayMs) && props.deregistrationDelayMs >= 0)) {
    throw new RangeError(`deregistrationDelayMs must be >= 0, got ${props.deregistrationDelayMs}`);
  }
}
