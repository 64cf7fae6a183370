/**
 * What other processes (the CLI, scripts, the Lambda runtime) rely on to find and talk to a running local cloud.
 * Kept free of heavy imports so a CLI can load it cheaply.
 */
export { FLEET_TAG } from '../common/ec2-events.js';

/** Where `npm start` keeps its assembly, the extracted instance app and its state file. */
export const DEFAULT_WORK_DIR = '.local-cloud';

/** The local load balancer's port unless `--port` says otherwise. */
export const DEFAULT_PORT = 8080;

/** The local cloud's region unless `--region` says otherwise. */
export const DEFAULT_REGION = 'us-east-1';

/** Written into the work directory while the local cloud runs. */
export const STATE_FILE = 'state.json';

export interface LocalCloudState {
  readonly endpoint: string;
  readonly url: string;
  readonly region: string;
  readonly stackName: string;
  readonly pid: number;
  /** The local cloud's IAM identity (the banner prints it): moto enforces IAM, so a client needs these. */
  readonly credentials: LocalCredentials;
}

/** An access key of the local cloud's moto. */
export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * For a moto that does not enforce IAM (started without access control, as most tests start it), and for the
 * requests moto serves before it enforces IAM: fixed dummy credentials keep the SDK from searching the machine
 * for real ones. The local cloud's moto enforces IAM: use `LocalCloud.credentials` there.
 */
export const LOCAL_CREDENTIALS: LocalCredentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** The account moto uses for the dummy credentials above. */
export const LOCAL_ACCOUNT_ID = '123456789012';

/**
 * The AWS environment variables a process needs to reach the local cloud at `endpoint` as any AWS client would.
 * Both region variables: the SDKs and AWS CLI v2 read AWS_REGION, AWS CLI v1 only AWS_DEFAULT_REGION (without
 * it: "You must specify a region", exit 255).
 */
export function localAwsEnvironment(endpoint: string, region: string, credentials: LocalCredentials = LOCAL_CREDENTIALS): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
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
    /** `warnedAt`: when the Spot interruption warning went out; `reclaimAt`: when it said the instance goes. */
    readonly instances: ReadonlyArray<{ instanceId: string; instanceType: string; availabilityZone: string; reclaimAt?: string; warnedAt?: string }>;
  };
  /**
   * The ALB data plane's view (states moto does not keep: initial, unhealthy, draining with time left). Epoch ms:
   * `drainingUntil`, when the deregistration delay ends; `drainCompletedAt`, when the drain itself ended (nothing in
   * flight, no connection open), which ELB does not show: it displays `draining` until the delay ends.
   */
  readonly targets: ReadonlyArray<{ id: string; state: string; reason?: string; drainingUntil?: number; drainCompletedAt?: number; inFlight: number; requests: number }>;
  readonly notifications: ReadonlyArray<{ message: string; subject?: string; receivedAt: string }>;
  /** The stack's CloudWatch alarms (the same states DescribeAlarms returns through the endpoint). */
  readonly alarms: ReadonlyArray<{ name: string; state: string; reason: string; since: string; description?: string }>;
  /** The ALB listener's counters since start: requests received, and the 5XX answers it gave itself. */
  readonly loadBalancer?: { readonly received: number; readonly elb502: number; readonly elb503: number; readonly elb504: number };
}

/** `export K=V …` for a shell, from `localAwsEnvironment`. */
export function exportLine(env: Readonly<Record<string, string>>): string {
  return `export ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}`;
}

/** True while the process that wrote a state or lock file runs (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
