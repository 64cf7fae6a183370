import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { asJson, attachmentResult, required, stringAttributes, tagMap, type Provisioner } from './types.js';

// CloudFormation queue properties that are SQS queue attributes under the same name.
const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'RedrivePolicy',
  'RedriveAllowPolicy',
] as const;


export const queue: Provisioner = async (props, ctx) => {
  const { sqs } = ctx.clients;
  const fifo = String(props.FifoQueue) === 'true';
  const name = (props.QueueName as string | undefined) ?? ctx.physicalName(fifo ? 75 : 80) + (fifo ? '.fifo' : '');
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: stringAttributes(props, QUEUE_ATTRIBUTES), tags: tagMap(props) }));
  const url = out.QueueUrl as string;
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { physicalId: url, attributes: { Arn: attrs.Attributes?.QueueArn, QueueName: name, QueueUrl: url } };
};

export const queuePolicy: Provisioner = async (props, ctx) => {
  const policy = asJson(required(props, 'PolicyDocument', ctx, 'object')) as string;
  const queues = required<string[]>(props, 'Queues', ctx, 'array');
  for (const url of queues) await ctx.clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: policy } }));
  return attachmentResult(ctx);
};
