/**
 * `DeregisterTargets` for the target group the local ALB serves, answered as ELB answers it. The ELB API reference
 * (`DeregisterTargets`, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeregisterTargets.html)
 * says "If the specified target does not exist, the action returns successfully", and keeps `InvalidTarget` for a
 * target that "does not exist, is not in the same VPC as the target group, or has an unsupported instance type".
 * moto 5.2 (`FakeTargetGroup.deregister`) instead fails with `InvalidTarget` on the first target that is not
 * registered, after removing the ones named before it, so:
 * - a second `DeregisterTargets` of the same target (a runbook run twice, two deliveries of one event at the same
 *   moment) fails locally where it succeeds on AWS;
 * - a request naming a registered and a deregistered target fails, though moto did take the first one out.
 *
 * Here every such request goes to moto as it came (moto checks the caller's permission first, so AccessDenied is
 * moto's to answer). Only when moto answers `InvalidTarget` does the local cloud ask what ELB would have said: if every
 * target it no longer finds registered is an instance in the target group's VPC, the ones still registered are sent
 * on (the request rewritten and re-signed as the caller), and the answer is ELB's empty success; else moto's
 * `InvalidTarget` stands. The local ALB hears of the whole request as accepted (gateway observers), so a target moto
 * removed before failing leaves the data plane at once, not at the next poll.
 *
 * Limitation: moto and this interceptor match a target by its id alone. ELB matches the id and the port (the target
 * group's when none is given), so a request without the port of a port-override registration takes that registration
 * out here, where on ELB it would succeed and leave it in service. The stack registers no port overrides.
 */
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { randomUUID } from 'node:crypto';
import { actionOf } from '../faults.js';
import { queryParams, signedService, type GatewayRequest, type GatewayResponse, type Interceptor } from '../gateway.js';
import { targetMembers, withTargets } from './target-members.js';

export interface DeregisterTargetsApiProps {
  readonly targetGroupArn: string;
  /** The ids moto counts as registered in the target group now (asked with the local cloud's own identity). */
  readonly registeredInMoto: () => Promise<ReadonlySet<string>>;
  /**
   * Whether every one of these ids is an EC2 instance (any state) in the target group's VPC: false when one is not.
   * @throws on a failure to find out (the caller then keeps moto's answer)
   */
  readonly instancesInTargetGroupVpc: (ids: readonly string[]) => Promise<boolean>;
  /** Sends moto `rewritten` (re-signed as the caller) or `original`; observers hear of `original` on a 2xx. */
  readonly send: (original: GatewayRequest, rewritten?: GatewayRequest) => Promise<GatewayResponse>;
  /** Tells the observers moto accepted `original` (when the interceptor answers success itself). */
  readonly accepted: (original: GatewayRequest) => void;
}

/** ELB's answer to a DeregisterTargets that succeeded: an empty result. */
export function deregisterTargetsXml(requestId: string): string {
  return (
    '<DeregisterTargetsResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">' +
    `<DeregisterTargetsResult/><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DeregisterTargetsResponse>`
  );
}

function isInvalidTarget(answer: GatewayResponse): boolean {
  return answer.status === 400 && /<Code>InvalidTarget<\/Code>/.test(answer.body.toString());
}

/** Rounds of "ask moto what is registered, send on the rest": another caller can deregister one in between. */
const MAX_ROUNDS = 3;

/** A gateway interceptor giving DeregisterTargets on the local ALB's target group ELB's answers (see above). */
export function deregisterTargetsInterceptor(props: DeregisterTargetsApiProps): Interceptor {
  return async (req) => {
    if (signedService(req.headers) !== 'elasticloadbalancing' || actionOf(req) !== 'DeregisterTargets') return undefined;
    const params = queryParams(req);
    if (!params || params.get('TargetGroupArn') !== props.targetGroupArn) return undefined;
    const members = targetMembers(params);
    if (members.length === 0 || members.some((m) => !m.fields.has('Id'))) return undefined;

    let answer = await props.send(req);
    try {
      for (let round = 0; round < MAX_ROUNDS && isInvalidTarget(answer); round++) {
        const registered = await props.registeredInMoto();
        const still = members.filter((m) => registered.has(m.fields.get('Id')!));
        const gone = members.filter((m) => !registered.has(m.fields.get('Id')!)).map((m) => m.fields.get('Id')!);
        if (!(await props.instancesInTargetGroupVpc(gone))) return answer;
        if (still.length === 0) {
          props.accepted(req);
          const requestId = randomUUID();
          return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body: deregisterTargetsXml(requestId) };
        }
        answer = await props.send(req, { ...req, body: Buffer.from(withTargets(params, still), 'utf8') });
      }
    } catch {
      // What the local cloud asked moto itself failed: moto's own answer stands.
    }
    return answer;
  };
}

/**
 * Whether every id is an EC2 instance (in any state) in the VPC `vpc()` names, as moto's EC2 answers: false for an id
 * EC2 does not know (`InvalidInstanceID.NotFound` / `.Malformed`) or an instance elsewhere.
 * @throws any other failure (a throttle, moto busy): the answer is unknown
 */
export async function instancesInVpc(ec2: Pick<EC2Client, 'send'>, ids: readonly string[], vpc: () => Promise<string | undefined>): Promise<boolean> {
  if (ids.length === 0) return true;
  let found;
  try {
    found = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [...ids] }))).Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
  } catch (error) {
    if (/^InvalidInstanceID\.(NotFound|Malformed)$/.test((error as Error).name)) return false;
    throw error;
  }
  const vpcId = await vpc();
  return ids.every((id) => found.some((i) => i.InstanceId === id && (vpcId === undefined || i.VpcId === vpcId)));
}
