// The Lambda-path floor for the interruption benchmark: the least a handler behind the stack's rule can do. One
// ELBv2 client created at init (the cold-start floor's, bundled as ours is), and per event one DeregisterTargets
// for the event's instance in each of the stack's target groups, read from the variable ours reads
// (handlers/interruption/config.ts). No validation, no describe, no SNS, no Powertools: only to measure against.
import { DeregisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { client } from './one-client.js';

const targetGroupArns = (process.env.TARGET_GROUP_ARNS ?? '').split(',').filter((arn) => arn !== '');
// Fails the cold start, so a misconfigured floor shows as failed invocations rather than as a fast nothing.
if (targetGroupArns.length === 0) throw new Error('TARGET_GROUP_ARNS is empty: the floor needs the stack function\'s environment');

export async function handler(event: { readonly detail: { readonly 'instance-id': string } }): Promise<void> {
  const Targets = [{ Id: event.detail['instance-id'] }];
  await Promise.all(targetGroupArns.map((TargetGroupArn) => client.send(new DeregisterTargetsCommand({ TargetGroupArn, Targets }))));
}
