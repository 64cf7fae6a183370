/**
 * The EC2 answers about the fleet, rewritten from the Spot emulation (moto stays the store; these calls are
 * forwarded to it and its answer corrected where it contradicts what runs):
 *
 * - `DescribeSpotFleetInstances`: every live instance of the fleet. moto lists only the instances it launched
 *   itself at request time; the replacements the emulation launches (with the fleet's tag) were missing, so a
 *   fleet serving on two instances reported one.
 * - `DescribeSpotFleetRequests`: `FulfilledCapacity` = the weighted capacity of those instances (moto keeps the
 *   value of its own launches only), and the fleet's LaunchTemplateConfigs in place of the launch specifications
 *   moto holds (local/spot/launch-template-configs.ts).
 * - `DescribeInstances`: a reclaimed instance is `shutting-down` (code 32) between the reclaim and `terminated`,
 *   as EC2 reports it (EC2 user guide, "Amazon EC2 instance state changes"); moto has no such state and would say
 *   `running`. Limitation: a filter on `instance-state-name` is applied by moto to its own states, so a request
 *   for `shutting-down` alone does not find these instances.
 */
import { randomUUID } from 'node:crypto';
import { actionOf } from '../faults.js';
import { signedService, type GatewayRequest, type GatewayResponse, type Interceptor } from '../gateway.js';
import { withLaunchTemplateConfigs } from './launch-template-configs.js';

export interface FleetInstanceView {
  readonly instanceId: string;
  readonly instanceType: string;
  /** Weighted capacity of the instance's pool. @default 1 */
  readonly weight?: number;
}

export interface FleetView {
  readonly fleetRequestId: string;
  /** Live (pending or running) instances, warned ones included: they count until they are reclaimed. */
  live(): readonly FleetInstanceView[];
  /** Reclaimed instances EC2 still reports as shutting down. */
  shuttingDown(): ReadonlySet<string>;
  /** Instances of the fleet that EC2 reports `terminated` (reclaimed, or ended by a call). */
  terminated(): ReadonlySet<string>;
}

interface ActiveInstance {
  readonly instanceId: string;
  readonly instanceType?: string;
  readonly spotInstanceRequestId?: string;
}

/** The active instances in moto's DescribeSpotFleetInstances answer (EC2 query XML). */
export function parseActiveInstances(xml: string): ActiveInstance[] {
  const set = /<activeInstanceSet>([\s\S]*?)<\/activeInstanceSet>/.exec(xml)?.[1] ?? '';
  const field = (block: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(block)?.[1];
  return [...set.matchAll(/<item>([\s\S]*?)<\/item>/g)].flatMap(([, block]) => {
    const instanceId = field(block!, 'instanceId');
    if (!instanceId) return [];
    const instanceType = field(block!, 'instanceType');
    const spotInstanceRequestId = field(block!, 'spotInstanceRequestId');
    return [{ instanceId, ...(instanceType && { instanceType }), ...(spotInstanceRequestId && { spotInstanceRequestId }) }];
  });
}

/**
 * The fleet's active instances: the emulation's live ones, plus what moto lists that the emulation has not
 * adopted yet (it reads moto too), minus what is shutting down.
 */
export function activeInstances(moto: readonly ActiveInstance[], fleet: FleetView): ActiveInstance[] {
  const gone = fleet.shuttingDown();
  const byId = new Map<string, ActiveInstance>();
  for (const i of moto) if (!gone.has(i.instanceId)) byId.set(i.instanceId, i);
  for (const i of fleet.live()) byId.set(i.instanceId, { ...byId.get(i.instanceId), instanceId: i.instanceId, instanceType: i.instanceType });
  return [...byId.values()];
}

export function fulfilledCapacity(fleet: FleetView): number {
  return fleet.live().reduce((sum, i) => sum + (i.weight ?? 1), 0);
}

export function describeSpotFleetInstancesXml(fleetRequestId: string, instances: readonly ActiveInstance[], requestId: string): string {
  const items = instances
    .map(
      (i) =>
        `<item><instanceId>${i.instanceId}</instanceId>` +
        (i.spotInstanceRequestId ? `<spotInstanceRequestId>${i.spotInstanceRequestId}</spotInstanceRequestId>` : '') +
        (i.instanceType ? `<instanceType>${i.instanceType}</instanceType>` : '') +
        '<instanceHealth>healthy</instanceHealth></item>',
    )
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<DescribeSpotFleetInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">' +
    `<requestId>${requestId}</requestId><spotFleetRequestId>${fleetRequestId}</spotFleetRequestId>` +
    `<activeInstanceSet>${items}</activeInstanceSet></DescribeSpotFleetInstancesResponse>`
  );
}

/** moto's DescribeSpotFleetRequests answer with the fleet's fulfilled capacity set from what runs. */
export function withFulfilledCapacity(xml: string, fleetRequestId: string, capacity: number): string {
  // Each fleet's item holds its configuration (with fulfilledCapacity) and then its id (the EC2 model's member
  // order), so a fulfilledCapacity belongs to the first spotFleetRequestId after it.
  return xml.replace(/<fulfilledCapacity>[^<]*<\/fulfilledCapacity>/g, (element, offset: number) => {
    const owner = /<spotFleetRequestId>([^<]*)<\/spotFleetRequestId>/.exec(xml.slice(offset))?.[1];
    return owner === fleetRequestId ? `<fulfilledCapacity>${capacity}</fulfilledCapacity>` : element;
  });
}

/** moto's DescribeInstances answer with the given instances reported `shutting-down`. */
export function withShuttingDown(xml: string, ids: ReadonlySet<string>): string {
  let out = xml;
  for (const id of ids) {
    // An instance's state follows its id within its own item; nothing between them holds another instanceState.
    out = out.replace(
      new RegExp(`(<instanceId>${id}</instanceId>[\\s\\S]*?<instanceState>\\s*<code>)\\d+(</code>\\s*<name>)[a-z-]+(</name>)`),
      '$132$2shutting-down$3',
    );
  }
  return out;
}

const FLEET_ACTIONS = new Set(['DescribeSpotFleetInstances', 'DescribeSpotFleetRequests', 'DescribeInstances']);

export interface FleetApiProps {
  readonly fleet: FleetView;
  /** moto's own answer to a request. */
  readonly upstream: (req: GatewayRequest) => Promise<GatewayResponse>;
  /** The fleet's `<launchTemplateConfigs>` element as it is now (`launchTemplateConfigsXml`). @default moto's launch specifications stay */
  readonly launchTemplateConfigs?: () => string;
}

/** A gateway interceptor correcting moto's EC2 answers about the fleet from the Spot emulation (see above). */
export function fleetApiInterceptor(props: FleetApiProps): Interceptor {
  const { fleet } = props;
  return async (req) => {
    const action = actionOf(req);
    if (signedService(req.headers) !== 'ec2' || !action || !FLEET_ACTIONS.has(action)) return undefined;
    const params = new URLSearchParams(req.body.toString('utf8'));
    if (action === 'DescribeSpotFleetInstances' && params.get('SpotFleetRequestId') !== fleet.fleetRequestId) return undefined;
    const moto = await props.upstream(req);
    if (moto.status >= 300) return moto;
    const xml = moto.body.toString();
    const answer = (body: string): GatewayResponse => ({ status: moto.status, headers: moto.headers, body });
    switch (action) {
      case 'DescribeSpotFleetInstances':
        return answer(describeSpotFleetInstancesXml(fleet.fleetRequestId, activeInstances(parseActiveInstances(xml), fleet), randomUUID()));
      case 'DescribeSpotFleetRequests': {
        const corrected = withFulfilledCapacity(xml, fleet.fleetRequestId, fulfilledCapacity(fleet));
        return answer(props.launchTemplateConfigs ? withLaunchTemplateConfigs(corrected, fleet.fleetRequestId, props.launchTemplateConfigs()) : corrected);
      }
      default:
        return answer(withShuttingDown(xml, fleet.shuttingDown()));
    }
  };
}
