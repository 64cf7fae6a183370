import { CreateFlowLogsCommand, type FlowLogsResourceType, type TrafficType } from '@aws-sdk/client-ec2';
import { tagSpecifications } from './ec2-tags.js';
import { required, type Provisioner } from './types.js';

export const flowLog: Provisioner = async (props, ctx) => {
  const out = await ctx.clients.ec2.send(
    new CreateFlowLogsCommand({
      ResourceIds: [required(props, 'ResourceId', ctx)],
      ResourceType: required<FlowLogsResourceType>(props, 'ResourceType', ctx),
      TrafficType: props.TrafficType as TrafficType | undefined,
      LogDestinationType: props.LogDestinationType as 'cloud-watch-logs' | 's3' | undefined,
      LogDestination: props.LogDestination as string | undefined,
      LogGroupName: props.LogGroupName as string | undefined,
      DeliverLogsPermissionArn: props.DeliverLogsPermissionArn as string | undefined,
      LogFormat: props.LogFormat as string | undefined,
      MaxAggregationInterval: props.MaxAggregationInterval as number | undefined,
      TagSpecifications: tagSpecifications(props, 'vpc-flow-log'),
    }),
  );
  const unsuccessful = out.Unsuccessful ?? [];
  const id = out.FlowLogIds?.[0];
  if (!id || unsuccessful.length > 0) {
    throw new Error(`CreateFlowLogs failed: ${JSON.stringify(unsuccessful.map((u) => u.Error))}`);
  }
  return { physicalId: id, attributes: { Id: id } };
};
