/**
 * `DescribeTargetHealth` for the target group the local ALB serves, answered from its data plane: moto registers
 * and deregisters targets but has no health checks and no draining (a new target is `healthy` at once, a
 * deregistered one vanishes), so its answer would contradict what the load balancer does with requests.
 *
 * States and reason codes as ELB reports them (ELB API reference, `TargetHealth`,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html):
 * - `initial`: `Elb.RegistrationInProgress` until the load balancer has the registration, then
 *   `Elb.InitialHealthChecking` until the first checks decide;
 * - `healthy`; `unhealthy` with the failing check's reason (`Target.FailedHealthChecks`, `Target.Timeout`,
 *   `Target.ResponseCodeMismatch`);
 * - `draining` / `Target.DeregistrationInProgress` from DeregisterTargets until the drain completes (see
 *   LocalLoadBalancer.deregister: in-flight requests and open connections, up to the deregistration delay);
 * - `unused` / `Target.NotRegistered` for a target asked about by id that is not registered (moto says so too).
 *
 * moto stays the store: the request goes to moto first, so an unknown target group or a malformed request fails
 * exactly as moto fails it, and ports come from moto's registrations.
 */
import { randomUUID } from 'node:crypto';
import { actionOf } from '../faults.js';
import { signedService, type GatewayRequest, type GatewayResponse, type Interceptor } from '../gateway.js';
import type { TargetSnapshot } from './load-balancer.js';

export interface TargetHealthView {
  readonly id: string;
  readonly port: number;
  readonly state: string;
  readonly reason?: string;
  readonly description?: string;
}

interface MotoTarget {
  readonly id: string;
  readonly port?: number;
  readonly state?: string;
  readonly reason?: string;
  readonly description?: string;
}

const REGISTRATION_IN_PROGRESS = { state: 'initial', reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress' };
const NOT_REGISTERED = { state: 'unused', reason: 'Target.NotRegistered', description: 'Target is not registered to the target group' };

/** The `Targets.member.N.Id` / `.Port` a DescribeTargetHealth query names, in order. */
export function requestedTargets(params: URLSearchParams): Array<{ id: string; port?: number }> {
  const targets: Array<{ id: string; port?: number }> = [];
  for (let n = 1; params.has(`Targets.member.${n}.Id`); n++) {
    const port = params.get(`Targets.member.${n}.Port`);
    targets.push({ id: params.get(`Targets.member.${n}.Id`)!, ...(port ? { port: Number(port) } : {}) });
  }
  return targets;
}

/** The targets in moto's DescribeTargetHealth answer (query-protocol XML). */
export function parseMotoTargetHealth(xml: string): MotoTarget[] {
  const field = (block: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(block)?.[1];
  return [...xml.matchAll(/<member>([\s\S]*?)<\/member>/g)].flatMap(([, block]) => {
    const target = /<Target>([\s\S]*?)<\/Target>/.exec(block!)?.[1] ?? '';
    const health = /<TargetHealth>([\s\S]*?)<\/TargetHealth>/.exec(block!)?.[1] ?? '';
    const id = field(target, 'Id');
    if (!id) return [];
    const port = field(target, 'Port');
    const state = field(health, 'State');
    const reason = field(health, 'Reason');
    const description = field(health, 'Description');
    return [{ id: unescapeXml(id), ...(port && { port: Number(port) }), ...(state && { state }), ...(reason && { reason }), ...(description && { description: unescapeXml(description) }) }];
  });
}

/**
 * What DescribeTargetHealth answers: for the targets asked about (all registered and draining ones when none is
 * named), the data plane's state where it has the target, else moto's registration as `initial` /
 * `Elb.RegistrationInProgress`, else `unused` / `Target.NotRegistered`.
 */
export function targetHealthViews(input: {
  readonly dataPlane: readonly TargetSnapshot[];
  readonly moto: readonly MotoTarget[];
  readonly requested: ReadonlyArray<{ readonly id: string; readonly port?: number }>;
  readonly defaultPort: number;
}): TargetHealthView[] {
  const plane = new Map(input.dataPlane.map((t) => [t.id, t]));
  const registered = new Map(input.moto.filter((t) => t.reason !== NOT_REGISTERED.reason).map((t) => [t.id, t]));
  const ids = input.requested.length > 0 ? input.requested.map((t) => t.id) : [...new Set([...registered.keys(), ...plane.keys()])];
  return ids.map((id) => {
    const asked = input.requested.find((t) => t.id === id);
    const port = asked?.port ?? registered.get(id)?.port ?? input.defaultPort;
    const target = plane.get(id);
    if (target) return { id, port, state: target.state, ...(target.reason && { reason: target.reason }), ...(target.description && { description: target.description }) };
    if (registered.has(id)) return { id, port, ...REGISTRATION_IN_PROGRESS };
    return { id, port, ...NOT_REGISTERED };
  });
}

/** The query-protocol answer, as ELB writes it. */
export function describeTargetHealthXml(views: readonly TargetHealthView[], requestId: string): string {
  const members = views
    .map((v) =>
      [
        '<member>',
        `<HealthCheckPort>${v.port}</HealthCheckPort>`,
        '<TargetHealth>',
        v.description ? `<Description>${escapeXml(v.description)}</Description>` : '',
        v.reason ? `<Reason>${escapeXml(v.reason)}</Reason>` : '',
        `<State>${escapeXml(v.state)}</State>`,
        '</TargetHealth>',
        `<Target><Id>${escapeXml(v.id)}</Id><Port>${v.port}</Port></Target>`,
        '</member>',
      ].join(''),
    )
    .join('');
  return (
    '<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">' +
    `<DescribeTargetHealthResult><TargetHealthDescriptions>${members}</TargetHealthDescriptions></DescribeTargetHealthResult>` +
    `<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></DescribeTargetHealthResponse>`
  );
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e]!);
}

/** What the interceptor needs: where moto is, which target group the local ALB serves, and its data plane. */
export interface TargetHealthApiProps {
  readonly targetGroupArn: string;
  /** The target group's port, for targets moto does not list (draining ones it already dropped). */
  readonly port: number;
  readonly dataPlane: () => readonly TargetSnapshot[];
  readonly upstream: (req: GatewayRequest) => Promise<GatewayResponse>;
}

/** A gateway interceptor answering DescribeTargetHealth for the local ALB's target group from its data plane. */
export function targetHealthInterceptor(props: TargetHealthApiProps): Interceptor {
  return async (req) => {
    if (signedService(req.headers) !== 'elasticloadbalancing' || actionOf(req) !== 'DescribeTargetHealth') return undefined;
    const params = new URLSearchParams(req.body.toString('utf8'));
    if (params.get('TargetGroupArn') !== props.targetGroupArn) return undefined;
    const moto = await props.upstream(req);
    if (moto.status >= 300) return moto;
    const views = targetHealthViews({
      dataPlane: props.dataPlane(),
      moto: parseMotoTargetHealth(moto.body.toString()),
      requested: requestedTargets(params),
      defaultPort: props.port,
    });
    return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() }, body: describeTargetHealthXml(views, randomUUID()) };
  };
}
