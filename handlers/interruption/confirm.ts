import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createDynamoDbClient, createSnsClient, lazily } from './clients.js';
import { parseConfirmationConfig } from './config.js';
import { createConfirmationHandler } from './confirmation-handler.js';
import { dynamoDbConfirmations } from './confirmations.js';

// Once per container (Lambda init); a bad configuration fails the init, loudly.
const config = parseConfirmationConfig(process.env);

/** Entry point of the drain confirmation Lambda (the interruption handler's on-success destination → here). */
export const handler = createConfirmationHandler({
  config,
  sns: createSnsClient(),
  confirmations: dynamoDbConfirmations(config.confirmationTableName, lazily(createDynamoDbClient)),
  // Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE.
  logger: new Logger(),
  metrics: new Metrics(),
});
