import { CreateTopicCommand, SetTopicAttributesCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { asJson, attachmentResult, required, stringAttributes, tagsOf, type Provisioner } from './types.js';

export const topic: Provisioner = async (props, ctx) => {
  const fifo = props.FifoTopic === true || props.FifoTopic === 'true';
  const name = (props.TopicName as string | undefined) ?? ctx.physicalName(fifo ? 251 : 256, { alphanumericAndHyphens: true }) + (fifo ? '.fifo' : '');
  const attributes: Record<string, string> = {};
  if (props.DisplayName !== undefined) attributes.DisplayName = String(props.DisplayName);
  if (props.KmsMasterKeyId !== undefined) attributes.KmsMasterKeyId = String(props.KmsMasterKeyId);
  if (fifo) attributes.FifoTopic = 'true';
  if (props.ContentBasedDeduplication !== undefined) attributes.ContentBasedDeduplication = String(props.ContentBasedDeduplication);
  const tags = tagsOf(props);
  const out = await ctx.clients.sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes, Tags: tags.length ? tags : undefined }));
  const arn = out.TopicArn as string;
  for (const sub of (props.Subscription as Array<{ Protocol: string; Endpoint: string }> | undefined) ?? []) {
    await ctx.clients.sns.send(new SubscribeCommand({ TopicArn: arn, Protocol: sub.Protocol, Endpoint: sub.Endpoint }));
  }
  return { physicalId: arn, attributes: { TopicArn: arn, TopicName: name } };
};

export const topicPolicy: Provisioner = async (props, ctx) => {
  const policy = asJson(required(props, 'PolicyDocument', ctx, 'object'));
  for (const arn of required<string[]>(props, 'Topics', ctx, 'array')) {
    await ctx.clients.sns.send(new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'Policy', AttributeValue: policy }));
  }
  return attachmentResult(ctx);
};

// Subscription properties that are SNS subscription attributes under the same name.
const SUBSCRIPTION_ATTRIBUTES = ['DeliveryPolicy', 'FilterPolicy', 'FilterPolicyScope', 'RawMessageDelivery', 'RedrivePolicy', 'SubscriptionRoleArn'] as const;

export const subscription: Provisioner = async (props, ctx) => {
  const out = await ctx.clients.sns.send(
    new SubscribeCommand({
      TopicArn: required(props, 'TopicArn', ctx),
      Protocol: required(props, 'Protocol', ctx),
      Endpoint: props.Endpoint as string | undefined,
      Attributes: stringAttributes(props, SUBSCRIPTION_ATTRIBUTES),
      ReturnSubscriptionArn: true,
    }),
  );
  const arn = out.SubscriptionArn as string;
  return { physicalId: arn, attributes: { Arn: arn } };
};
