// EventBridge events as EC2 emits them, for tests and benchmarks: the envelope from the one builder.
import { ec2Event, INTERRUPTION_WARNING, REBALANCE_RECOMMENDATION, STATE_CHANGE_NOTIFICATION, type AwsEvent } from '../common/ec2-events.js';
import { LOCAL_ACCOUNT_ID } from '../local/contract.js';

const at = (detailType: string, instanceId: string, detail: Record<string, unknown>): AwsEvent =>
  ec2Event({ detailType, instanceId, region: 'us-east-1', account: LOCAL_ACCOUNT_ID, detail });

export function interruptionWarning(instanceId: string, action = 'terminate'): AwsEvent {
  return at(INTERRUPTION_WARNING, instanceId, { 'instance-action': action });
}

export function rebalanceRecommendation(instanceId: string): AwsEvent {
  return at(REBALANCE_RECOMMENDATION, instanceId, {});
}

export function stateChangeNotification(instanceId: string): AwsEvent {
  return at(STATE_CHANGE_NOTIFICATION, instanceId, { state: 'shutting-down' });
}
