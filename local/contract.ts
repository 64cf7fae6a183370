/**
 * What other processes (the CLI, scripts, the Lambda runtime) rely on to find and talk to a running local cloud.
 * Kept free of heavy imports so a CLI can load it cheaply.
 */
export { FLEET_TAG } from '../common/ec2-events.js';

/** Where `npm start` keeps its assembly, the extracted instance app and its state file. */
export const DEFAULT_WORK_DIR = '.local-cloud';

/** Written into the work directory while the local cloud runs. */
export const STATE_FILE = 'state.json';

export interface LocalCloudState {
  readonly endpoint: string;
  readonly url: string;
  readonly region: string;
  readonly stackName: string;
  readonly pid: number;
}

/** moto accepts any credentials; fixed dummy ones keep the SDK from searching the machine for real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/** The account moto uses for the dummy credentials above. */
export const LOCAL_ACCOUNT_ID = '123456789012';

/** The AWS environment variables a process needs to reach the local cloud at `endpoint` as any AWS client would. */
export function localAwsEnvironment(endpoint: string, region: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  };
}

/** The local cloud's own API beside the AWS APIs on its endpoint, under a path no AWS API uses. */
export const CONTROL_PREFIX = '/_local/';
/** `GET` it for a LocalStatus. */
export const STATUS_PATH = `${CONTROL_PREFIX}status`;

/** What `GET <endpoint>/_local/status` answers: what a console would show for the stack. */
export interface LocalStatus {
  readonly url: string;
  readonly endpoint: string;
  readonly region: string;
  readonly stackName: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly fleet: {
    readonly requestId: string;
    readonly targetCapacity: number;
    readonly instances: ReadonlyArray<{ instanceId: string; instanceType: string; availabilityZone: string; reclaimAt?: string }>;
  };
  /** The ALB data plane's view (states moto does not keep: initial, unhealthy, draining with time left). */
  readonly targets: ReadonlyArray<{ id: string; state: string; reason?: string; drainingUntil?: number; inFlight: number; requests: number }>;
  readonly notifications: ReadonlyArray<{ message: string; subject?: string; receivedAt: string }>;
  /** The stack's CloudWatch alarms (the same states DescribeAlarms returns through the endpoint). */
  readonly alarms: ReadonlyArray<{ name: string; state: string; reason: string; since: string; description?: string }>;
}
