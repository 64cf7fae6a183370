import {
  CreateTableCommand,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { required, tagsOf, type Provisioner } from './types.js';

// AWS::DynamoDB::Table properties that CreateTable takes under the same name and shape.
const CREATE_TABLE_PROPERTIES = [
  'AttributeDefinitions',
  'BillingMode',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'ProvisionedThroughput',
  'StreamSpecification',
  'TableClass',
  'DeletionProtectionEnabled',
] as const;

/**
 * AWS::DynamoDB::Table as CloudFormation creates it: CreateTable, then the settings CreateTable does not take,
 * each through its own API (TTL: UpdateTimeToLive; point-in-time recovery: UpdateContinuousBackups). `Ref` is the
 * table name, generated as `<stack>-<logicalId>-<suffix>` when the template names none; `Fn::GetAtt` gives `Arn`
 * and, with a stream, `StreamArn` (CloudFormation user guide, AWS::DynamoDB::Table, "Return values").
 */
export const table: Provisioner = async (props, ctx) => {
  const { dynamodb } = ctx.clients;
  const name = (props.TableName as string | undefined) ?? ctx.physicalName(255);
  const input: CreateTableCommandInput = {
    TableName: name,
    KeySchema: required(props, 'KeySchema', ctx, 'array'),
    ...Object.fromEntries(CREATE_TABLE_PROPERTIES.filter((key) => props[key] !== undefined).map((key) => [key, props[key]])),
  };
  const sse = props.SSESpecification as { SSEEnabled?: unknown; SSEType?: string; KMSMasterKeyId?: string } | undefined;
  if (sse !== undefined) {
    input.SSESpecification = { Enabled: String(sse.SSEEnabled) === 'true', SSEType: sse.SSEType as never, KMSMasterKeyId: sse.KMSMasterKeyId };
  }
  const tags = tagsOf(props);
  if (tags.length > 0) input.Tags = tags;
  const created = await dynamodb.send(new CreateTableCommand(input));
  const description = created.TableDescription;

  const ttl = props.TimeToLiveSpecification as { AttributeName?: string; Enabled?: unknown } | undefined;
  if (ttl !== undefined && String(ttl.Enabled) === 'true') {
    await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true } }));
  }
  const pitr = props.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: unknown } | undefined;
  if (pitr !== undefined && String(pitr.PointInTimeRecoveryEnabled) === 'true') {
    await dynamodb.send(
      new UpdateContinuousBackupsCommand({ TableName: name, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    );
  }
  return {
    physicalId: name,
    attributes: { Arn: description?.TableArn, ...(description?.LatestStreamArn && { StreamArn: description.LatestStreamArn }) },
  };
};
