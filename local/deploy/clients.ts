import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { LOCAL_CREDENTIALS, type LocalCredentials } from '../contract.js';

export interface LocalCloudTarget {
  /** moto's base URL, e.g. http://127.0.0.1:5000 */
  readonly endpoint: string;
  readonly region: string;
  /** @default LOCAL_CREDENTIALS (for a moto that does not enforce IAM) */
  readonly credentials?: LocalCredentials;
}

/** One SDK v3 client per service, all pointed at the local emulator. */
export interface AwsClients {
  readonly ec2: EC2Client;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly iam: IAMClient;
  readonly kms: KMSClient;
  readonly logs: CloudWatchLogsClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly lambda: LambdaClient;
  readonly events: EventBridgeClient;
  readonly autoScaling: ApplicationAutoScalingClient;
  readonly ssm: SSMClient;
  readonly dynamodb: DynamoDBClient;
}


export function createClients(target: LocalCloudTarget): AwsClients {
  if (!/^https?:\/\/127\.0\.0\.1(:\d+)?\/?$|^https?:\/\/localhost(:\d+)?\/?$/.test(target.endpoint)) {
    // Nothing here may reach real AWS: refuse anything but a loopback emulator.
    throw new Error(`Local cloud endpoint must be a loopback URL such as http://127.0.0.1:5000, got "${target.endpoint}"`);
  }
  const config = { endpoint: target.endpoint, region: target.region, credentials: target.credentials ?? LOCAL_CREDENTIALS, maxAttempts: 2 };
  return {
    ec2: new EC2Client(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    iam: new IAMClient(config),
    kms: new KMSClient(config),
    logs: new CloudWatchLogsClient(config),
    cloudwatch: new CloudWatchClient(config),
    sqs: new SQSClient(config),
    sns: new SNSClient(config),
    lambda: new LambdaClient(config),
    events: new EventBridgeClient(config),
    autoScaling: new ApplicationAutoScalingClient(config),
    ssm: new SSMClient(config),
    dynamodb: new DynamoDBClient(config),
  };
}

/** Closes every client's sockets (tests and short-lived CLIs would otherwise keep the process alive). */
export function destroyClients(clients: AwsClients): void {
  for (const client of Object.values(clients)) client.destroy();
}
