import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SpotAction } from '../../common/ec2-events.js';
import type { EventOrigin } from './event.js';

export interface DrainConfirmation {
  readonly subject: string;
  readonly message: string;
}

/**
 * The confirmation a person reads after the handler took an instance out of service, sent only for a real
 * deregistration and once per instance (confirmations.ts decides which delivery sends it). The rule's own message only
 * relays AWS's warning; this one says what spotweb did. Plain text, e.g.
 * `spotweb drained Spot instance i-0abc…: deregistered from tg/web after AWS's interruption warning
 * (instance-action: terminate, warning at 2026-11-30T02:00:00Z, region us-east-1). …`
 */
export function formatDrainConfirmation(
  instanceId: string,
  action: SpotAction | 'rebalance',
  origin: EventOrigin,
  deregisteredFrom: readonly string[],
  deregistrationDelaySeconds: number,
): DrainConfirmation {
  const groups = deregisteredFrom.map(targetGroupLabel);
  const why = action === 'rebalance' ? "AWS's rebalance recommendation" : "AWS's interruption warning";
  const facts = [
    ...(action === 'rebalance' ? [] : [`instance-action: ${action}`]),
    ...(origin.time === undefined ? [] : [`warning at ${origin.time}`]),
    ...(origin.region === undefined ? [] : [`region ${origin.region}`]),
  ];
  const context = facts.length === 0 ? '' : ` (${facts.join(', ')})`;
  return {
    subject: `spotweb drained Spot instance ${instanceId}`,
    message:
      `spotweb drained Spot instance ${instanceId}: deregistered from ${groups.join(', ')} after ${why}${context}. ` +
      `The load balancer sends new requests to the other targets and lets requests in flight finish for up to ` +
      `${deregistrationDelaySeconds} s.`,
  };
}

/** `arn:…:targetgroup/web/0123abcd` → `tg/web`. */
export function targetGroupLabel(targetGroupArn: string): string {
  const name = /:targetgroup\/([^/]+)\//.exec(targetGroupArn)?.[1];
  return name === undefined ? targetGroupArn : `tg/${name}`;
}

export async function publishMessage(sns: SNSClient, topicArn: string, subject: string, message: string, abortSignal?: AbortSignal): Promise<void> {
  await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }), { abortSignal });
}
