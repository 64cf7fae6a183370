import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CLAIM_TABLE_KEY, CLAIM_TABLE_TTL } from '../handlers/interruption/confirmations.js';

/**
 * The drain confirmation function's record of which delivery confirms each drained instance: one item per instance id,
 * written only with conditional UpdateItem calls (handlers/interruption/confirmations.ts has the state machine
 * and why it is not Powertools' idempotency utility).
 *
 * On-demand billing: a handful of writes per interruption, none otherwise. Items expire through TTL a day after
 * the last claim. Point-in-time recovery as cdk-nag (AwsSolutions-DDB3) asks; encrypted at rest with DynamoDB's
 * AWS-owned key (always on; an AWS-managed or customer key would add KMS calls and grants to the confirmation's path
 * for a table that only holds instance ids and claim states). Removed with the stack, like its other resources:
 * the records are worthless once the instances are gone.
 */
export class DrainConfirmations extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Default', {
      partitionKey: { name: CLAIM_TABLE_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: CLAIM_TABLE_TTL,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.DEFAULT,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /**
   * The one action the drain confirmation calls (claim, mark sent, release are all conditional UpdateItem), on this table
   * only: `grantReadWriteData` would add reads, PutItem, DeleteItem, batch writes and the table's indexes.
   */
  grantClaims(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:UpdateItem'], resourceArns: [this.table.tableArn] });
  }
}
