import { queryParams, type GatewayRequest, type GatewayResponse, type Interceptor } from '../gateway.js';
import type { LaunchTemplateOverride } from '../stack-reader.js';

/**
 * The part of the Spot Fleet API about a fleet's launch template that moto does not play, answered at the local
 * cloud's endpoint for the stack's fleet:
 *
 * - ModifySpotFleetRequest with LaunchTemplateConfigs: on AWS it changes the template version a `maintain` fleet
 *   launches from (EC2 API reference, ModifySpotFleetRequest: "LaunchTemplateConfigs — The launch template and
 *   overrides"). moto ignores the parameter; the Spot emulation takes the version. A call that also changes the
 *   capacity is refused here (send them as two calls): the capacity path is the gateway's own.
 * - DescribeSpotFleetRequests: AWS shows a fleet requested with a launch template by its LaunchTemplateConfigs;
 *   moto shows the launch specifications the deployer expanded them into. `withLaunchTemplateConfigs` corrects
 *   moto's answer (local/spot/fleet-api.ts applies it with the fleet's other corrections).
 */

export interface LaunchTemplateModificationProps {
  readonly fleetRequestId: string;
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
  overrides: readonly LaunchTemplateOverride[],
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

/**
 * moto's DescribeSpotFleetRequests answer with `fleetRequestId`'s launch specifications replaced by `configs` (the
 * `<launchTemplateConfigs>` element); other fleets in the answer are left as they are.
 */
export function withLaunchTemplateConfigs(body: string, fleetRequestId: string, configs: string): string {
  // Each fleet's item holds its configuration and then its id (the EC2 model's member order), so a
  // launchSpecifications element belongs to the first spotFleetRequestId after it.
  return body.replace(/<launchSpecifications>[\s\S]*?<\/launchSpecifications>/g, (element, offset: number) => {
    const owner = /<spotFleetRequestId>([^<]*)<\/spotFleetRequestId>/.exec(body.slice(offset))?.[1];
    return owner === fleetRequestId ? configs : element;
  });
}

/**
 * ModifySpotFleetRequest with LaunchTemplateConfigs for the stack's fleet, answered here (moto ignores the
 * parameter): the Spot emulation launches from the version given.
 */
export function launchTemplateModificationInterceptor(props: LaunchTemplateModificationProps): Interceptor {
  return (req: GatewayRequest) => {
    const params = queryParams(req);
    if (params?.get('Action') !== 'ModifySpotFleetRequest' || params.get('SpotFleetRequestId') !== props.fleetRequestId) return undefined;
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
  };
}
