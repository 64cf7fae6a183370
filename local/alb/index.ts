export { LocalLoadBalancer } from './load-balancer.js';
export type {
  LoadBalancerCounters,
  LocalLoadBalancerProps,
  TargetSnapshot,
  TargetStateChange,
} from './load-balancer.js';
export type { HealthCheckSettings, TargetEndpoint, TargetState } from './types.js';
export { parseMatcher } from './matcher.js';
