import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';

/**
 * Takes the place of the SDK's default credential chain (`@aws-sdk/credential-provider-node`) in the Lambda
 * bundle; `infra/handler-bundling.ts` aliases the SDK's import to this module. Lambda hands every function its
 * role's credentials in the environment, so the chain's other sources (profiles, SSO, web identity, container
 * and instance metadata, and the STS/SSO clients behind them) are never reached there, yet they were a third
 * of the bundle and of its cold start (bench/handler-cold-start.ts). Same signature as the chain's
 * `defaultProvider`, so the clients' runtime config takes it unchanged.
 */
export const defaultProvider = (init: FromEnvInit = {}): ReturnType<typeof fromEnv> => fromEnv(init);
