// Baseline for the benchmarks: the interruption handler written the way the original workshop wrote it.
// Clients are built on every call, the target group is looked up from a tag on the instance, and the SDK is
// loaded from node_modules rather than bundled. Not production code: kept only to measure ours against.
import { DescribeTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DeregisterTargetsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';

export const TARGET_GROUP_TAG = 'TargetGroupArn';

export function createClients() {
  return { ec2: new EC2Client({}), elbv2: new ElasticLoadBalancingV2Client({}) };
}

interface Ec2Event {
  detail: { 'instance-id': string; 'instance-action'?: string };
}

export async function handler(event: Ec2Event): Promise<string> {
  const { ec2, elbv2 } = createClients();
  const instanceId = event.detail['instance-id'];
  const tags = await ec2.send(
    new DescribeTagsCommand({
      Filters: [
        { Name: 'resource-id', Values: [instanceId] },
        { Name: 'key', Values: [TARGET_GROUP_TAG] },
      ],
    }),
  );
  const targetGroupArn = tags.Tags?.[0]?.Value;
  if (targetGroupArn === undefined) {
    console.log(`No ${TARGET_GROUP_TAG} tag on ${instanceId}`);
    return 'no-target-group';
  }
  await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: instanceId }] }));
  console.log(`Deregistered ${instanceId} from ${targetGroupArn}`);
  return 'deregistered';
}
