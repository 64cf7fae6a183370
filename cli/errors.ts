import { UserError } from '../common/user-error.js';

/** An error the user can act on: printed without a stack trace, exit code 1 (2 for usage errors). */
export class CliError extends UserError {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Turns the SDK's errors for the usual set-up mistakes into a sentence saying what to do; anything else is
 * returned as it is.
 */
export function explainAwsError(err: unknown, context: { stackName: string; region?: string }): unknown {
  if (!(err instanceof Error)) return err;
  const where = context.region ? ` in ${context.region}` : '';
  if (err.name === 'CredentialsProviderError' || /Could not load credentials/i.test(err.message)) {
    return new CliError('no AWS credentials found: configure them the usual way (aws configure / aws sso login, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or use --local for the local cloud');
  }
  if (/Region is missing/i.test(err.message)) {
    return new CliError('no AWS region set: pass --region, or set AWS_REGION (or AWS_DEFAULT_REGION) or a region in your AWS profile; or use --local for the local cloud that npm start runs');
  }
  if (err.name === 'ValidationError' && /does not exist/i.test(err.message)) {
    return new CliError(`stack ${context.stackName} not found${where}: deploy it with \`npx cdk deploy\`, or pass --stack-name / --region`);
  }
  if (err.name === 'ExpiredToken' || err.name === 'ExpiredTokenException') {
    return new CliError(`your AWS session has expired: sign in again (${err.message})`);
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND') {
    return new CliError(`cannot reach the AWS endpoint (${code}): check --endpoint, or start the local cloud with npm start`);
  }
  return err;
}
