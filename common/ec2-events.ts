/**
 * The EC2 event vocabulary, in one place for the stack (`infra/`), the handler bundle, the local cloud and the
 * tests: the EventBridge detail-types EC2 emits for Spot, the Spot instance actions, the event envelope and its
 * one builder, the two-minute warning and the tag keys this project relies on.
 *
 * Dependency-free on purpose: the handler bundle imports it, and a dependency here would ship in every cold start.
 * Source: EC2 User Guide, "Spot Instance interruption notices" and "EC2 instance rebalance recommendations";
 * EventBridge User Guide, "Amazon EventBridge events" (the envelope).
 */

/** The `source` of every event EC2 emits. */
export const EC2_SOURCE = 'aws.ec2';

/** Sent two minutes before EC2 stops, hibernates or terminates a Spot Instance. */
export const INTERRUPTION_WARNING = 'EC2 Spot Instance Interruption Warning';
/** Sent when a Spot Instance is at elevated risk of interruption; may come before the warning or not at all. */
export const REBALANCE_RECOMMENDATION = 'EC2 Instance Rebalance Recommendation';
/** Sent on every instance state transition (pending, running, shutting-down, terminated, …). */
export const STATE_CHANGE_NOTIFICATION = 'EC2 Instance State-change Notification';

/** `detail.instance-action` of an interruption warning, and IMDS's `spot/instance-action` `action`. */
export const SPOT_ACTIONS = ['terminate', 'stop', 'hibernate'] as const;
export type SpotAction = (typeof SPOT_ACTIONS)[number];

export function isSpotAction(value: unknown): value is SpotAction {
  return (SPOT_ACTIONS as readonly unknown[]).includes(value);
}

/** AWS's notice period between the interruption warning and the reclaim, in milliseconds. */
export const SPOT_WARNING_MS = 120_000;

/** The AWS Fault Injection Service action that sends Spot Instances the warning, then interrupts them. */
export const SPOT_INTERRUPTION_ACTION = 'aws:ec2:send-spot-instance-interruptions';

/** The tag this stack puts on its resources (value: the stack name). */
export const STACK_TAG = 'spotweb:stack';
/** The tag AWS puts on every instance a Spot Fleet launches (value: the fleet request id); FIS selects by it. */
export const FLEET_TAG = 'aws:ec2spot:fleet-request-id';
/** EC2 tags an instance launched from a launch template with the template's id and version (EC2 user guide, "Launch templates"). */
export const LAUNCH_TEMPLATE_ID_TAG = 'aws:ec2launchtemplate:id';
export const LAUNCH_TEMPLATE_VERSION_TAG = 'aws:ec2launchtemplate:version';

/** An EventBridge event as AWS services put it on the default bus. */
export interface AwsEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  /** ISO 8601 in whole seconds, e.g. `2026-11-22T10:00:00Z`. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface Ec2EventInput {
  readonly detailType: string;
  readonly instanceId: string;
  readonly region: string;
  readonly account: string;
  /** Merged after `instance-id`. @default {} */
  readonly detail?: Readonly<Record<string, unknown>>;
  /** @default now */
  readonly time?: Date;
  /** @default a random UUID */
  readonly id?: string;
}

/** Builds an EC2 instance event: the envelope, the instance's ARN in `resources`, `instance-id` in the detail. */
export function ec2Event(input: Ec2EventInput): AwsEvent {
  const { region, account, instanceId } = input;
  return {
    version: '0',
    id: input.id ?? globalThis.crypto.randomUUID(),
    'detail-type': input.detailType,
    source: EC2_SOURCE,
    account,
    time: (input.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:ec2:${region}:${account}:instance/${instanceId}`],
    detail: { 'instance-id': instanceId, ...input.detail },
  };
}
