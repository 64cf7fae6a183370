/**
 * What the local cloud cannot play, found before the slow part so that the user gets one line saying what is
 * wrong and what to do, instead of moto's raw error half-way through a deploy.
 */
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { UserError } from '../common/user-error.js';
import { closestName } from '../infra/closest-name.js';

/** A start-up problem the user can fix: printed as its message alone, exit code 1. */
export class LocalSetupError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'LocalSetupError';
  }
}

/**
 * The commercial AWS regions, from the CDK's region table. moto keys every backend by region and answers a
 * region it does not know with an error page the SDK cannot parse ("Deserialization error"), and the local
 * account's ARNs are in the `aws` partition, so only these are played.
 */
export function localRegions(): string[] {
  return RegionInfo.regions.filter((r) => r.partition === 'aws').map((r) => r.name).sort();
}

export function checkLocalRegion(region: string): void {
  const known = localRegions();
  if (known.includes(region)) return;
  const near = closestName(region, known);
  throw new LocalSetupError(
    `--region ${region} is not an AWS region the local cloud can play${near ? ` (did you mean ${near}?)` : ''}: pass a commercial region such as us-east-1 or eu-west-1, or leave --region out`,
  );
}

/**
 * Lambda's concurrency is a whole number of environments, at most the default account limit of 1,000
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html).
 */
export function checkLambdaConcurrency(value: number | undefined): void {
  if (value === undefined || (Number.isInteger(value) && value >= 1 && value <= 1000)) return;
  throw new LocalSetupError(`lambdaConcurrency must be a whole number of execution environments from 1 to 1000, got ${String(value)}`);
}

/**
 * A template the local data plane cannot serve as deployed: an HTTPS listener needs an ACM certificate, which
 * moto cannot hold for a local ALB ("Supplied certificate was not found") and which the local ALB, plain HTTP,
 * would not use.
 */
export function checkPlayable(template: { Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }> }): void {
  for (const [logicalId, r] of Object.entries(template.Resources ?? {})) {
    if (r.Type !== 'AWS::ElasticLoadBalancingV2::Listener') continue;
    const p = r.Properties ?? {};
    if (p.Protocol === 'HTTPS' || Array.isArray(p.Certificates)) {
      throw new LocalSetupError(
        `HTTPS is not played locally (listener ${logicalId} needs an ACM certificate; the local load balancer serves plain HTTP): leave -c certificateArn out with npm start, and use it with npx cdk deploy`,
      );
    }
  }
}
