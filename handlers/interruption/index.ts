import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createDynamoDbClient, createElbv2Client, createSnsClient, lazily } from './clients.js';
import { parseConfig } from './config.js';
import { dynamoDbConfirmations } from './confirmations.js';
import { createHandler } from './handler.js';

// Everything here runs once per container (Lambda init); a bad configuration fails the init, loudly.
const config = parseConfig(process.env);

/** Entry point of the interruption-handler Lambda (EventBridge → here). */
export const handler = createHandler({
  config,
  elbv2: createElbv2Client(),
  ...(config.topicArn === undefined ? {} : { sns: createSnsClient() }),
  // Built on first use, after a drain: the deregistration path never waits for it.
  ...(config.confirmationTableName === undefined ? {} : { confirmations: dynamoDbConfirmations(config.confirmationTableName, lazily(createDynamoDbClient)) }),
  // Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE.
  logger: new Logger(),
  metrics: new Metrics(),
});

export type { Outcome, OutcomeStatus } from './outcome.js';
