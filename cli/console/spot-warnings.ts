import { DescribeSpotInstanceRequestsCommand, type EC2Client } from '@aws-sdk/client-ec2';

/**
 * Spot request status codes of an instance EC2 has given the interruption notice, before it stops, hibernates or
 * terminates it (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instances-request-status-lifecycle.html,
 * "Interrupted"). On AWS this is where an API shows the warning; the instance's metadata and EventBridge have it too.
 */
export const MARKED_FOR_INTERRUPTION = ['marked-for-termination', 'marked-for-stop', 'marked-for-hibernation'] as const;

/**
 * The given instances whose Spot request says they were given the interruption notice, with when its status
 * changed (epoch ms) and the status code.
 */
export async function readInterruptionNotices(ec2: EC2Client, instanceIds: readonly string[]): Promise<Map<string, { at: number; code: string }>> {
  const notices = new Map<string, { at: number; code: string }>();
  if (instanceIds.length === 0) return notices;
  const out = await ec2.send(
    new DescribeSpotInstanceRequestsCommand({
      Filters: [
        { Name: 'instance-id', Values: [...instanceIds] },
        { Name: 'status-code', Values: [...MARKED_FOR_INTERRUPTION] },
      ],
    }),
  );
  for (const r of out.SpotInstanceRequests ?? []) {
    const code = r.Status?.Code ?? '';
    if (!r.InstanceId || !(MARKED_FOR_INTERRUPTION as readonly string[]).includes(code)) continue;
    notices.set(r.InstanceId, { at: r.Status?.UpdateTime?.getTime() ?? Date.now(), code });
  }
  return notices;
}
