import { CfnResource, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';

/**
 * Gives each of CDK's custom-resource provider Lambdas in `stack` (the `Custom::…CustomResourceProvider`
 * singletons, e.g. the one behind the VPC's `restrictDefaultSecurityGroup`) a log group the stack owns. Left
 * alone, Lambda creates `/aws/lambda/<name>` on the first invocation: no retention, and `cdk destroy` leaves it
 * behind. Call once the stack's constructs exist.
 *
 * @returns the log groups created, one per provider
 */
export function ownProviderLogGroups(stack: Stack, retention: logs.RetentionDays): logs.LogGroup[] {
  const groups: logs.LogGroup[] = [];
  for (const child of stack.node.children) {
    if (!/^Custom::.*CustomResourceProvider$/.test(child.node.id)) continue;
    const handler = child.node.tryFindChild('Handler');
    if (!(handler instanceof CfnResource) || handler.cfnResourceType !== 'AWS::Lambda::Function') continue;
    const group = new logs.LogGroup(child, 'Logs', { retention, removalPolicy: RemovalPolicy.DESTROY });
    // The provider is a CfnResource without a LoggingConfig property of its own; the override is the only way in.
    handler.addPropertyOverride('LoggingConfig', { LogGroup: group.logGroupName });
    groups.push(group);
  }
  return groups;
}
