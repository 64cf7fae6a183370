// EventBridge events as EC2 emits them (shapes from the EventBridge documentation), for tests and benchmarks.
import { randomUUID } from 'node:crypto';

interface Ec2Event {
  version: '0';
  id: string;
  'detail-type': string;
  source: 'aws.ec2';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

function ec2Event(detailType: string, instanceId: string, detail: Record<string, unknown>): Ec2Event {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'aws.ec2',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [`arn:aws:ec2:us-east-1a:instance/${instanceId}`],
    detail: { 'instance-id': instanceId, ...detail },
  };
}

export function interruptionWarning(instanceId: string, action = 'terminate'): Ec2Event {
  return ec2Event('EC2 Spot Instance Interruption Warning', instanceId, { 'instance-action': action });
}

export function rebalanceRecommendation(instanceId: string): Ec2Event {
  return ec2Event('EC2 Instance Rebalance Recommendation', instanceId, {});
}

export function stateChangeNotification(instanceId: string): Ec2Event {
  return ec2Event('EC2 Instance State-change Notification', instanceId, { state: 'shutting-down' });
}
