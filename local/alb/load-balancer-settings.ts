import { DescribeLoadBalancerAttributesCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { SimulatedClock } from '../clock.js';

/** ALB's connection idle timeout when the load balancer does not set `idle_timeout.timeout_seconds`. */
const DEFAULT_IDLE_TIMEOUT_SECONDS = 60;

/**
 * The load balancer's connection idle timeout (`idle_timeout.timeout_seconds`, from DescribeLoadBalancerAttributes)
 * in the clock's real milliseconds, like every other interval the local ALB plays.
 */
export async function readIdleTimeoutMs(elbv2: ElasticLoadBalancingV2Client, loadBalancerArn: string, clock: SimulatedClock): Promise<number> {
  const out = await elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: loadBalancerArn }));
  const value = out.Attributes?.find((a) => a.Key === 'idle_timeout.timeout_seconds')?.Value;
  const seconds = value === undefined ? DEFAULT_IDLE_TIMEOUT_SECONDS : Number(value);
  if (!(Number.isInteger(seconds) && seconds >= 1)) {
    throw new RangeError(`load balancer ${loadBalancerArn} has idle_timeout.timeout_seconds ${JSON.stringify(value)}, expected 1-4000`);
  }
  return Math.max(1, Math.round(clock.toReal(seconds * 1000)));
}
