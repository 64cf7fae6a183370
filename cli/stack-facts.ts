import { CliError } from './errors.js';

/**
 * The stack's CloudFormation output keys (infra/spot-web-stack.ts `OUTPUTS`; a unit test keeps the two equal).
 * Repeated here so the CLI does not load the CDK library just to read four names.
 */
export const OUTPUT_KEYS = {
  url: 'LoadBalancerUrl',
  fleetRequestId: 'FleetRequestId',
  targetGroupArn: 'TargetGroupArn',
  topicArn: 'TopicArn',
} as const;

/** What the CLI needs to know about a deployed stack. */
export interface StackFacts {
  readonly stackName: string;
  readonly url: string;
  readonly fleetRequestId: string;
  readonly targetGroupArn: string;
  readonly topicArn?: string;
}

/** Reads the stack facts from its outputs; a missing one means the stack is not (fully) this project's. */
export function stackFacts(stackName: string, outputs: Readonly<Record<string, string | undefined>>): StackFacts {
  const need = (key: string): string => {
    const value = outputs[key];
    if (!value) {
      throw new CliError(`stack ${stackName} has no output ${key}: is it a spotweb stack, and did its deployment finish?`);
    }
    return value;
  };
  return {
    stackName,
    url: need(OUTPUT_KEYS.url),
    fleetRequestId: need(OUTPUT_KEYS.fleetRequestId),
    targetGroupArn: need(OUTPUT_KEYS.targetGroupArn),
    topicArn: outputs[OUTPUT_KEYS.topicArn],
  };
}
