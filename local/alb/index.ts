export { LocalLoadBalancer } from './load-balancer.js';
export type {
  LoadBalancerCounters,
  LocalLoadBalancerProps,
  TargetSnapshot,
  TargetStateChange,
} from './load-balancer.js';
export type { HealthCheckSettings, TargetEndpoint, TargetState } from './types.js';
export { parseMatcher } from './matcher.js';
export { TargetGroupSync, diffTargets, registeredIds } from './target-sync.js';
export type { SyncResult, TargetGroupSyncProps, TargetSet } from './target-sync.js';
export { readTargetGroupSettings, scaleSettings, settingsFromTargetGroup } from './target-group-settings.js';
export type { TargetGroupSettings } from './target-group-settings.js';
export { onTargetsChanged, targetChangeOf } from './registration-calls.js';
export type { TargetChange } from './registration-calls.js';
