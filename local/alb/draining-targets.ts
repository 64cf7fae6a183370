import type { GatewayRequest, Interceptor } from '../gateway.js';
import { forwardToUpstream } from '../upstream.js';

/** A target as the local ALB sees it: its health state and ELB's reason code and description for that state. */
export interface LocalTargetHealth {
  readonly id: string;
  readonly port: number;
  readonly state: string;
  readonly reason?: string;
  readonly description?: string;
}

/**
 * DescribeTargetHealth as ELB answers it, from the local ALB's real health checks and drains. moto marks a target
 * `healthy` the moment it is registered and drops it at once on DeregisterTargets; ELB reports a new target
 * `initial` (`Elb.InitialHealthChecking`) until it passes its checks, `unhealthy` when it fails them, and a
 * deregistered one `draining` (`Target.DeregistrationInProgress`) until its in-flight requests end or the
 * deregistration delay does (ELB user guide, "Target health status" and "Deregistration delay"). Each target the
 * local ALB knows is reported in its state, its draining targets added to moto's list, so an operator tool that
 * waits for a replacement to be healthy or a drain to end (the roll) waits as long locally as on AWS.
 */
export function drainingTargetsInterceptor(props: {
  readonly targetGroupArn: string;
  readonly upstream: string;
  /** The local ALB's targets, with their port. */
  readonly targets: () => readonly LocalTargetHealth[];
}): Interceptor {
  return async (req: GatewayRequest) => {
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return undefined;
    const params = new URLSearchParams(req.body.toString('utf8'));
    if (params.get('Action') !== 'DescribeTargetHealth' || params.get('TargetGroupArn') !== props.targetGroupArn) return undefined;
    // A call naming its targets asks about those only; moto answers those as it does.
    if (params.has('Targets.member.1.Id')) return undefined;
    const local = new Map(props.targets().map((t) => [t.id, t]));
    if (local.size === 0) return undefined;
    const res = await forwardToUpstream(req, props.upstream);
    if (res.status !== 200) return { status: res.status, headers: { 'content-type': res.contentType }, body: res.body };
    const listed = new Set<string>();
    const relabelled = res.body.replace(/<member>([\s\S]*?)<\/member>/g, (member, inner: string) => {
      const id = /<Id>([^<]+)<\/Id>/.exec(inner)?.[1];
      if (id === undefined) return member;
      listed.add(id);
      const target = local.get(id);
      return target ? member.replace(/<TargetHealth>[\s\S]*?<\/TargetHealth>|<TargetHealth\s*\/>/, targetHealthXml(target)) : member;
    });
    const members = [...local.values()]
      .filter((t) => t.state === 'draining' && !listed.has(t.id))
      .map((t) => `<member><Target><Id>${t.id}</Id><Port>${t.port}</Port></Target><HealthCheckPort>${t.port}</HealthCheckPort>${targetHealthXml(t)}</member>`)
      .join('');
    const body = /<TargetHealthDescriptions\s*\/>/.test(relabelled)
      ? relabelled.replace(/<TargetHealthDescriptions\s*\/>/, `<TargetHealthDescriptions>${members}</TargetHealthDescriptions>`)
      : relabelled.replace('</TargetHealthDescriptions>', `${members}</TargetHealthDescriptions>`);
    return { status: 200, headers: { 'content-type': res.contentType }, body };
  };
}

function targetHealthXml(t: LocalTargetHealth): string {
  const reason = t.reason ? `<Reason>${t.reason}</Reason>` : '';
  const description = t.description ? `<Description>${t.description}</Description>` : '';
  return `<TargetHealth><State>${t.state}</State>${reason}${description}</TargetHealth>`;
}
