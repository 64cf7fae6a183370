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
 * - `draining` / `Target.DeregistrationInProgress` from DeregisterTargets until the deregistration delay ends, also
 *   when the drain itself completed early (see LocalLoadBalancer: ELB keeps displaying `draining` until then);
 * - `unused` / `Target.InvalidState` ("the target is in the stopped or terminated state", same page) for a target
 *   still registered, or asked about by id, whose instance is stopped (moto answers this itself) or terminated
 *   (the Spot emulation knows it; moto would say the target is registered);
 * - `unused` / `Target.NotRegistered` for a target asked about by id that is not registered (moto says so too).
 * `Target.NotInUse` (target group used by no load balancer, or an Availability Zone the load balancer does not
 * enable) and `Target.IpUnusable` (an IP target reserved by a load balancer) have no case here: the one target group
 * is the listener's, with instance targets in the load balancer's subnets.
 *
 * moto stays the store: the request goes to moto first, so an unknown target group or a malformed request fails
 * exactly as moto fails it, and ports come from moto's registrations.
 */
import { randomUUID } from 'node:crypto';
import { actionOf } from '../faults.js';
import { signedService, type GatewayRequest, type GatewayResponse, type Interceptor } from '../gateway.js';
import type { TargetSnapshot } from './load-balancer.js';
import { requestedTargets } from './target-members.js';

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
const INVALID_STATE = { state: 'unused', reason: 'Target.InvalidState' } as const;

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
 * named), in this order: `unused` / `Target.InvalidState` when moto says so (a stopped instance, still registered);
 * `draining` while the data plane drains the target (a deregistered target is leaving the group, whatever its
 * instance's state); `unused` / `Target.InvalidState` when the instance is `terminated`; the data plane's state
 * where it has the target; moto's
 * registration as `initial` / `Elb.RegistrationInProgress`; else `unused` / `Target.NotRegistered`.
 */
export function targetHealthViews(input: {
  readonly dataPlane: readonly TargetSnapshot[];
  readonly moto: readonly MotoTarget[];
  readonly requested: ReadonlyArray<{ readonly id: string; readonly port?: number }>;
  readonly defaultPort: number;
  /** Instances EC2 reports `terminated` that moto may still count as registered. @default none */
  readonly terminated?: ReadonlySet<string>;
}): TargetHealthView[] {
  const plane = new Map(input.dataPlane.map((t) => [t.id, t]));
  const registered = new Map(input.moto.filter((t) => t.reason !== NOT_REGISTERED.reason).map((t) => [t.id, t]));
  const ids = input.requested.length > 0 ? input.requested.map((t) => t.id) : [...new Set([...registered.keys(), ...plane.keys()])];
  return ids.map((id) => {
    const asked = input.requested.find((t) => t.id === id);
    const port = asked?.port ?? registered.get(id)?.port ?? input.defaultPort;
    const target = plane.get(id);
    const view = (t: { state: string; reason?: string; description?: string }): TargetHealthView => ({
      id,
      port,
      state: t.state,
      ...(t.reason && { reason: t.reason }),
      ...(t.description && { description: t.description }),
    });
    const moto = registered.get(id);
    // Still registered, stopped: the sync takes it out of the data plane (which drains it), but ELB says unused.
    if (moto?.reason === INVALID_STATE.reason) return view({ ...INVALID_STATE, description: moto.description ?? 'Target is in the stopped state' });
    if (target?.state === 'draining') return view(target);
    if ((target || moto) && input.terminated?.has(id)) return view({ ...INVALID_STATE, description: 'Target is in the terminated state' });
    if (target) return view(target);
    if (moto) return view(REGISTRATION_IN_PROGRESS);
    return view(NOT_REGISTERED);
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
  /** Instances EC2 reports `terminated` (the Spot emulation's), for `Target.InvalidState`. @default none */
  readonly terminated?: () => ReadonlySet<string> | undefined;
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
      terminated: props.terminated?.(),
    });
    return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() }, body: describeTargetHealthXml(views, randomUUID()) };
  };
}
