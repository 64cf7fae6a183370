import type { GatewayRequest, Interceptor } from '../gateway.js';
import { forwardToUpstream } from '../upstream.js';

/**
 * DescribeTargetHealth as ELB answers it while targets drain: a deregistered target stays listed as `draining`
 * (`Target.DeregistrationInProgress`) until its in-flight requests end or the deregistration delay does (ELB user
 * guide, "Deregistration delay"). moto drops a target at once on DeregisterTargets; the local ALB really drains it,
 * so its draining targets are added to moto's answer. An operator tool that waits for a drain to end (the roll)
 * then waits as long locally as on AWS.
 */
export function drainingTargetsInterceptor(props: {
  readonly targetGroupArn: string;
  readonly upstream: string;
  /** The local ALB's draining targets and their port. */
  readonly draining: () => ReadonlyArray<{ readonly id: string; readonly port: number }>;
}): Interceptor {
  return async (req: GatewayRequest) => {
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return undefined;
    const params = new URLSearchParams(req.body.toString('utf8'));
    if (params.get('Action') !== 'DescribeTargetHealth' || params.get('TargetGroupArn') !== props.targetGroupArn) return undefined;
    // A call naming its targets asks about those only; moto answers those as it does.
    if (params.has('Targets.member.1.Id')) return undefined;
    const draining = props.draining();
    if (draining.length === 0) return undefined;
    const res = await forwardToUpstream(req, props.upstream);
    if (res.status !== 200) return { status: res.status, headers: { 'content-type': res.contentType }, body: res.body };
    const listed = new Set([...res.body.matchAll(/<Id>([^<]+)<\/Id>/g)].map((m) => m[1]));
    const members = draining
      .filter((t) => !listed.has(t.id))
      .map(
        (t) =>
          `<member><Target><Id>${t.id}</Id><Port>${t.port}</Port></Target><HealthCheckPort>${t.port}</HealthCheckPort>` +
          '<TargetHealth><State>draining</State><Reason>Target.DeregistrationInProgress</Reason>' +
          '<Description>Target deregistration is in progress</Description></TargetHealth></member>',
      )
      .join('');
    const body = /<TargetHealthDescriptions\s*\/>/.test(res.body)
      ? res.body.replace(/<TargetHealthDescriptions\s*\/>/, `<TargetHealthDescriptions>${members}</TargetHealthDescriptions>`)
      : res.body.replace('</TargetHealthDescriptions>', `${members}</TargetHealthDescriptions>`);
    return { status: 200, headers: { 'content-type': res.contentType }, body };
  };
}
