import type { GatewayRequest, GatewayResponse, Interceptor } from '../gateway.js';
import { forwardToUpstream } from '../upstream.js';

/**
 * The part of the Spot Fleet API about a fleet's launch template that moto does not play, answered at the local
 * cloud's endpoint for the stack's fleet:
 *
 * - ModifySpotFleetRequest with LaunchTemplateConfigs: on AWS it changes the template version a `maintain` fleet
 *   launches from (EC2 API reference, ModifySpotFleetRequest: "LaunchTemplateConfigs — The launch template and
 *   overrides"). moto ignores the parameter; the Spot emulation takes the version. A call that also changes the
 *   capacity is refused here (send them as two calls): the capacity path is the gateway's own.
 * - DescribeSpotFleetRequests: AWS shows a fleet requested with a launch template by its LaunchTemplateConfigs;
 *   moto shows the launch specifications the deployer expanded them into. The answer is moto's with those
 *   replaced by the fleet's LaunchTemplateConfigs (current version, the deployed overrides).
 */

export interface LaunchTemplateConfigsProps {
  readonly fleetRequestId: string;
  /** moto's endpoint, to forward a DescribeSpotFleetRequests to. */
  readonly upstream: string;
  /** The deployed overrides: one per (instance type, subnet) pool. */
  readonly overrides: ReadonlyArray<{ readonly InstanceType?: string; readonly SubnetId?: string }>;
  readonly fleet: {
    readonly launchTemplateSpecification: { readonly launchTemplateId: string; readonly version: string };
    setLaunchTemplateVersion(version: string): void;
  };
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function ec2Error(code: string, message: string): GatewayResponse {
  return {
    status: 400,
    headers: { 'content-type': 'text/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${xml(message)}</Message></Error></Errors><RequestID>${crypto.randomUUID()}</RequestID></Response>`,
  };
}

/** The `<launchTemplateConfigs>` element of a SpotFleetRequestConfigData, as EC2's query protocol writes it. */
export function launchTemplateConfigsXml(
  spec: { readonly launchTemplateId: string; readonly version: string },
  overrides: LaunchTemplateConfigsProps['overrides'],
): string {
  const items = overrides
    .map((o) => `<item>${o.InstanceType ? `<instanceType>${xml(o.InstanceType)}</instanceType>` : ''}${o.SubnetId ? `<subnetId>${xml(o.SubnetId)}</subnetId>` : ''}</item>`)
    .join('');
  return (
    '<launchTemplateConfigs><item><launchTemplateSpecification>' +
    `<launchTemplateId>${xml(spec.launchTemplateId)}</launchTemplateId><version>${xml(spec.version)}</version>` +
    `</launchTemplateSpecification><overrides>${items}</overrides></item></launchTemplateConfigs>`
  );
}

/** moto's DescribeSpotFleetRequests answer for one fleet, its launch specifications replaced by `configs`. */
export function withLaunchTemplateConfigs(body: string, configs: string): string {
  const stripped = body.replace(/<launchSpecifications>[\s\S]*?<\/launchSpecifications>/, '');
  return stripped.replace('<spotFleetRequestConfig>', `<spotFleetRequestConfig>${configs}`);
}

export function launchTemplateConfigsInterceptor(props: LaunchTemplateConfigsProps): Interceptor {
  return async (req: GatewayRequest) => {
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return undefined;
    const params = new URLSearchParams(req.body.toString('utf8'));
    const action = params.get('Action');
    if (action === 'ModifySpotFleetRequest' && params.get('SpotFleetRequestId') === props.fleetRequestId) {
      const version = params.get('LaunchTemplateConfig.1.LaunchTemplateSpecification.Version');
      if (version === null) return undefined;
      const id = params.get('LaunchTemplateConfig.1.LaunchTemplateSpecification.LaunchTemplateId');
      const current = props.fleet.launchTemplateSpecification;
      if (id !== current.launchTemplateId) {
        return ec2Error('InvalidParameterValue', `the local cloud's fleet launches from ${current.launchTemplateId} only, got ${id ?? 'no LaunchTemplateId'}`);
      }
      if (params.has('TargetCapacity')) {
        return ec2Error('InvalidParameterCombination', 'the local cloud changes LaunchTemplateConfigs and TargetCapacity in separate ModifySpotFleetRequest calls');
      }
      props.fleet.setLaunchTemplateVersion(version);
      return {
        status: 200,
        headers: { 'content-type': 'text/xml' },
        body: `<?xml version="1.0" encoding="UTF-8"?><ModifySpotFleetRequestResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${crypto.randomUUID()}</requestId><return>true</return></ModifySpotFleetRequestResponse>`,
      };
    }
    if (action === 'DescribeSpotFleetRequests' && params.get('SpotFleetRequestId.1') === props.fleetRequestId && !params.has('SpotFleetRequestId.2')) {
      const res = await forwardToUpstream(req, props.upstream);
      const body = res.body;
      if (res.status !== 200) return { status: res.status, headers: { 'content-type': res.contentType }, body };
      return {
        status: 200,
        headers: { 'content-type': 'text/xml' },
        body: withLaunchTemplateConfigs(body, launchTemplateConfigsXml(props.fleet.launchTemplateSpecification, props.overrides)),
      };
    }
    return undefined;
  };
}
