import type { Interceptor } from './gateway.js';

/** The local cloud's own status, beside the AWS APIs, under a path no AWS API uses. */
export const CONTROL_PREFIX = '/_local/';

export interface LocalStatus {
  readonly url: string;
  readonly endpoint: string;
  readonly region: string;
  readonly stackName: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly fleet: {
    readonly requestId: string;
    readonly targetCapacity: number;
    readonly instances: ReadonlyArray<{ instanceId: string; instanceType: string; availabilityZone: string; reclaimAt?: string }>;
  };
  /** The ALB data plane's view (states moto does not keep: initial, unhealthy, draining with time left). */
  readonly targets: ReadonlyArray<{ id: string; state: string; reason?: string; drainingUntil?: number; inFlight: number; requests: number }>;
  readonly notifications: ReadonlyArray<{ message: string; subject?: string; receivedAt: string }>;
}

/**
 * `GET /_local/status`: what a console would show for the stack, which the CLI reads when pointed at the local
 * cloud (on AWS it reads the same facts from CloudFormation, EC2 and ELB).
 */
export function controlApi(status: () => LocalStatus): Interceptor {
  return (req) => {
    if (!req.path.startsWith(CONTROL_PREFIX)) return undefined;
    if (req.method === 'GET' && req.path === `${CONTROL_PREFIX}status`) {
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(status()) };
    }
    return { status: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: `no such local cloud API: ${req.method} ${req.path}` }) };
  };
}
