import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { TargetGroupResult } from './drain.js';

/** "i-0abc… deregistered from tg/web, draining 120 s" — short enough for an e-mail subject or a chat line. */
export function formatDrainMessage(
  instanceId: string,
  results: readonly TargetGroupResult[],
  deregistrationDelaySeconds: number,
): string {
  const groups = results.filter((r) => r.outcome === 'deregistered').map((r) => targetGroupLabel(r.targetGroupArn));
  return `${instanceId} deregistered from ${groups.join(', ')}, draining ${deregistrationDelaySeconds} s`;
}

/** `arn:…:targetgroup/web/0123abcd` → `tg/web`. */
export function targetGroupLabel(targetGroupArn: string): string {
  const name = /:targetgroup\/([^/]+)\//.exec(targetGroupArn)?.[1];
  return name === undefined ? targetGroupArn : `tg/${name}`;
}

export async function publishMessage(sns: SNSClient, topicArn: string, subject: string, message: string, abortSignal?: AbortSignal): Promise<void> {
  await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }), { abortSignal });
}
