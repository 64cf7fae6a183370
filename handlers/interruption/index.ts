import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createElbv2Client } from './clients.js';
import { parseConfig } from './config.js';
import { createHandler } from './handler.js';

// Everything here runs once per container (Lambda init); a bad configuration fails the init, loudly.
const config = parseConfig(process.env);

/** Entry point of the interruption-handler Lambda (EventBridge → here). */
export const handler = createHandler({
  config,
  elbv2: createElbv2Client(),
  // Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE.
  logger: new Logger(),
  metrics: new Metrics(),
});

export type { Outcome, OutcomeStatus } from './outcome.js';
