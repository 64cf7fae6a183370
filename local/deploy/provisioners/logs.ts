import { CreateLogGroupCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { tagMap, type Provisioner } from './types.js';

export const logGroup: Provisioner = async (props, ctx) => {
  const { logs } = ctx.clients;
  const name = (props.LogGroupName as string | undefined) ?? ctx.physicalName(512);
  await logs.send(
    new CreateLogGroupCommand({ logGroupName: name, kmsKeyId: props.KmsKeyId as string | undefined, tags: tagMap(props) }),
  );
  if (props.RetentionInDays !== undefined) {
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: Number(props.RetentionInDays) }));
  }
  return {
    physicalId: name,
    // CloudFormation's Arn attribute for a log group ends in ":*".
    attributes: { Arn: `arn:${ctx.partition}:logs:${ctx.region}:${ctx.accountId}:log-group:${name}:*` },
  };
};
