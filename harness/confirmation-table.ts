import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CLAIM_TABLE_KEY } from '../handlers/interruption/confirmations.js';

/** A drain-confirmation table shaped as the stack's (infra/drain-confirmations.ts), for tests against moto. */
export async function createConfirmationTable(dynamodb: DynamoDBClient, tableName: string): Promise<string> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: CLAIM_TABLE_KEY, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: CLAIM_TABLE_KEY, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return tableName;
}
