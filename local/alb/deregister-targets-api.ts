/**
 * `DeregisterTargets` for the target group the local ALB serves, answered as ELB answers it. The ELB API reference
 * (`DeregisterTargets`, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeregisterTargets.html)
 * says "If the specified target does not exist, the action returns successfully", and keeps `InvalidTarget` for a
 * target that "does not exist, is not in the same VPC as the target group, or has an unsupported instance type".
 * moto 5.2 (`FakeTargetGroup.deregister`) instead fails with `InvalidTarget` on the first target that is not
 * registered, after removing the ones named before it, so:
 * - a second `DeregisterTargets` of the same target (a runbook run twice, a duplicate event's handler) fails
 *   locally where it succeeds on AWS;
 * - a request naming a registered and a deregistered target fails, though moto did take the first one out.
 *
 * Here: a request whose targets are all in service in the data plane goes to moto as it is (the common case, no
 * extra call). Otherwise the local cloud asks moto which are registered; those alone are sent on (the request
 * rewritten and re-signed, so moto still checks the caller's permission); when none is, moto is asked anyway, so an
 * unauthorized caller still gets AccessDenied, and its `InvalidTarget` becomes ELB's empty success if every named
 * instance exists. A target that does not exist keeps moto's `InvalidTarget`.
 */
import { randomUUID } from 'node:crypto';
import { actionOf } from '../faults.js';
import { queryParams, signedService, type GatewayRequest, type GatewayResponse, type Interceptor } from '../gateway.js';
import { requestedTargets } from './target-health-api.js';
import type { TargetSnapshot } from './load-balancer.js';

export interface DeregisterTargetsApiProps {
  readonly targetGroupArn: string;
  /** The local ALB's targets: one in service there is registered in moto, and needs no question. */
  readonly dataPlane: () => readonly TargetSnapshot[];
  /** The ids moto counts as registered in the target group now (asked with the local cloud's own identity). */
  readonly registeredInMoto: () => Promise<ReadonlySet<string>>;
  /** Whether every one of these instance ids exists in EC2 (any state). */
  readonly instancesExist: (ids: readonly string[]) => Promise<boolean>;
  readonly upstream: (req: GatewayRequest) => Promise<GatewayResponse>;
}

/** The form body with `Targets.member.N` replaced by `targets`, numbered from 1; every other parameter kept. */
export function withTargets(params: URLSearchParams, targets: ReadonlyArray<{ readonly id: string; readonly port?: number }>): string {
  const kept = [...params.entries()].filter(([name]) => !/^Targets\.member\.\d+\./.test(name));
  const members = targets.flatMap((t, i): Array<[string, string]> => [
    [`Targets.member.${i + 1}.Id`, t.id],
    ...(t.port === undefined ? [] : [[`Targets.member.${i + 1}.Port`, String(t.port)] as [string, string]]),
  ]);
  return new URLSearchParams([...kept, ...members]).toString();
}

/** ELB's answer to a DeregisterTargets that succeeded: an empty result. */
export function deregisterTargetsXml(requestId: string): string {
  return (
    '<DeregisterTargetsResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">' +
    `<DeregisterTargetsResult/><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DeregisterTargetsResponse>`
  );
}

const IN_SERVICE: ReadonlySet<string> = new Set(['initial', 'healthy', 'unhealthy']);

/** A gateway interceptor giving DeregisterTargets on the local ALB's target group ELB's answers (see above). */
export function deregisterTargetsInterceptor(props: DeregisterTargetsApiProps): Interceptor {
  return async (req) => {
    if (signedService(req.headers) !== 'elasticloadbalancing' || actionOf(req) !== 'DeregisterTargets') return undefined;
    const params = queryParams(req);
    if (!params || params.get('TargetGroupArn') !== props.targetGroupArn) return undefined;
    const requested = requestedTargets(params);
    if (requested.length === 0) return undefined;
    const inService = new Set(props.dataPlane().filter((t) => IN_SERVICE.has(t.state)).map((t) => t.id));
    if (requested.every((t) => inService.has(t.id))) return undefined;

    const registered = await props.registeredInMoto();
    const kept = requested.filter((t) => registered.has(t.id));
    if (kept.length === requested.length) return undefined;
    if (kept.length > 0) return { forward: { ...req, body: Buffer.from(withTargets(params, kept), 'utf8') } };

    const moto = await props.upstream(req);
    const invalidTarget = moto.status === 400 && /<Code>InvalidTarget<\/Code>/.test(moto.body.toString());
    if (!invalidTarget || !(await props.instancesExist(requested.map((t) => t.id)))) return moto;
    const requestId = randomUUID();
    return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body: deregisterTargetsXml(requestId) };
  };
}
