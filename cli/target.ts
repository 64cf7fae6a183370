import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { LocalStatus } from '../local/contract.js';
import { CliError, explainAwsError } from './errors.js';
import { createFisClient, type FisApi } from './interrupt/fis-client.js';
import { stackFacts, type StackFacts } from './stack-facts.js';
import { DEFAULT_WORK_DIR, LOCAL_CREDENTIALS, processAlive, STATE_FILE, STATUS_PATH, type LocalCredentials } from '../local/contract.js';

export interface TargetOptions {
  /** `--local [dir]`: the local cloud's work directory or project directory (see `findLocalWorkDir`); true: find it from here. */
  readonly local?: string | boolean;
  /** An AWS endpoint to use instead of AWS's own (the local cloud's gateway, or any emulator). */
  readonly endpoint?: string;
  readonly stackName?: string;
  readonly region?: string;
  /** Credentials for `endpoint` (the local cloud's, when it runs in this process). @default found as `loopbackCredentials` says */
  readonly credentials?: LocalCredentials;
}

export interface Clients {
  readonly cfn: CloudFormationClient;
  readonly cloudwatch: CloudWatchClient;
  readonly ec2: EC2Client;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly iam: IAMClient;
  readonly fis: FisApi;
}

/** Where the CLI acts: the same SDK calls either way; only the endpoint differs. */
export interface Target {
  readonly kind: 'aws' | 'local';
  readonly region: string;
  readonly endpoint?: string;
  readonly facts: StackFacts;
  readonly clients: Clients;
  /** The local cloud's extra facts (data-plane target states, requests, topic notifications); absent on AWS. */
  readonly localStatus?: () => Promise<LocalStatus>;
  close(): void;
}

export const DEFAULT_STACK_NAME = 'SpotWeb';
const NOT_RUNNING = 'local cloud not running: start it with npm start';

/**
 * The local cloud's work directory for `--local [dir]`: `dir` may be the work directory itself, the project
 * directory that holds `.local-cloud`, or any directory below the project (`npm start` runs at the project's
 * root); without `dir`, the search starts where the user is. A relative `dir` is the user's: npm runs scripts at
 * the package root and names the directory they were typed in as INIT_CWD.
 */
export function findLocalWorkDir(dir: string | undefined, cwd = process.env.INIT_CWD ?? process.cwd()): string {
  const start = resolve(cwd, dir ?? '.');
  if (existsSync(join(start, STATE_FILE))) return start;
  for (let d = start; ; d = dirname(d)) {
    if (existsSync(join(d, DEFAULT_WORK_DIR, STATE_FILE))) return join(d, DEFAULT_WORK_DIR);
    if (dirname(d) === d) break;
  }
  throw new CliError(`${NOT_RUNNING} (no ${STATE_FILE} in ${start}, nor ${DEFAULT_WORK_DIR}/${STATE_FILE} in it or a directory above it)`);
}

/** The endpoint a running local cloud wrote into `<workDir>/state.json`, or a CliError saying to start it. */
export function readLocalState(workDir: string): { endpoint: string; region: string; pid: number; credentials?: LocalCredentials } {
  let state: { endpoint?: unknown; region?: unknown; pid?: unknown; credentials?: { accessKeyId?: unknown; secretAccessKey?: unknown } };
  const file = join(resolve(workDir), STATE_FILE);
  try {
    state = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new CliError(`${NOT_RUNNING} (no ${file})`);
  }
  if (typeof state.endpoint !== 'string' || typeof state.pid !== 'number') throw new CliError(`${NOT_RUNNING} (${file} is not a local cloud state file)`);
  if (!processAlive(state.pid)) throw new CliError(`${NOT_RUNNING} (process ${state.pid} that wrote ${file} has exited)`);
  const { accessKeyId, secretAccessKey } = state.credentials ?? {};
  return {
    endpoint: state.endpoint,
    region: typeof state.region === 'string' ? state.region : 'us-east-1',
    pid: state.pid,
    ...(typeof accessKeyId === 'string' && typeof secretAccessKey === 'string' && { credentials: { accessKeyId, secretAccessKey } }),
  };
}

/**
 * Credentials for a loopback endpoint: the local cloud enforces IAM with the identity its state file names.
 * `--local` reads that file; with `--endpoint`, the environment's credentials (the banner's export line) come
 * first, else those of the local cloud found from here if it serves this endpoint, else dummy ones (a plain moto).
 * The SDK's other sources (profiles, SSO, instance metadata) are never consulted for a loopback endpoint; keys in
 * the environment are, since the banner tells the user to put the local cloud's there.
 */
function loopbackCredentials(endpoint: string, state: { credentials?: LocalCredentials } | undefined): LocalCredentials | undefined {
  if (state?.credentials) return state.credentials;
  if (process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) return undefined;
  try {
    const found = readLocalState(findLocalWorkDir(undefined));
    if (found.endpoint === endpoint && found.credentials) return found.credentials;
  } catch {
    // No local cloud found from here.
  }
  return LOCAL_CREDENTIALS;
}

/**
 * The region the environment names: AWS_REGION (the SDKs' and AWS CLI v2's), else AWS_DEFAULT_REGION (AWS CLI
 * v1's, which the SDK for JavaScript v3 does not read but users of the AWS CLI have set). Undefined leaves it to
 * the SDK's profile lookup.
 */
export function regionFromEnvironment(env: NodeJS.ProcessEnv): string | undefined {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
}

/** `GET <endpoint>/_local/status`, or undefined when the endpoint is not a local cloud. */
export async function fetchLocalStatus(endpoint: string, timeoutMs = 3000): Promise<LocalStatus | undefined> {
  try {
    const res = await fetch(new URL(STATUS_PATH, endpoint), { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as LocalStatus;
    return body && typeof body === 'object' && body.fleet ? body : undefined;
  } catch {
    return undefined;
  }
}

function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

function createClients(region: string | undefined, endpoint: string | undefined, credentials: LocalCredentials | undefined): Clients {
  const config = {
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(endpoint && isLoopback(endpoint) ? { maxAttempts: 2 } : {}),
    ...(credentials && { credentials }),
  };
  const ec2 = new EC2Client(config);
  return {
    cfn: new CloudFormationClient(config),
    cloudwatch: new CloudWatchClient(config),
    ec2,
    elbv2: new ElasticLoadBalancingV2Client(config),
    iam: new IAMClient(config),
    // Same region, endpoint and credential chain as the SDK clients (resolved by one of them, on first use).
    fis: createFisClient({
      region: () => ec2.config.region(),
      endpoint,
      credentials: () => ec2.config.credentials(),
    }),
  };
}

/**
 * Finds the stack: a local cloud's facts come from its `/_local/status` (moto holds no CloudFormation stack
 * for it), AWS's from CloudFormation outputs, with the standard credential chain and region.
 */
export async function resolveTarget(options: TargetOptions): Promise<Target> {
  let endpoint = options.endpoint;
  let region = options.region;
  let state: ReturnType<typeof readLocalState> | undefined;
  if (options.local !== undefined && options.local !== false) {
    state = readLocalState(findLocalWorkDir(typeof options.local === 'string' ? options.local : undefined));
    endpoint = state.endpoint;
    region ??= state.region;
  }
  if (endpoint) {
    try {
      new URL(endpoint);
    } catch {
      throw new CliError(`--endpoint must be a URL such as http://127.0.0.1:4566, got "${endpoint}"`, 2);
    }
  }
  const local = endpoint ? await fetchLocalStatus(endpoint) : undefined;
  if (options.local && !local) throw new CliError(`${NOT_RUNNING} (its endpoint ${endpoint} does not answer)`);
  const stackName = options.stackName ?? local?.stackName ?? DEFAULT_STACK_NAME;
  if (local) {
    region ??= local.region;
    if (options.stackName && options.stackName !== local.stackName) {
      throw new CliError(`the local cloud runs stack ${local.stackName}, not ${options.stackName}`);
    }
  }
  region ??= regionFromEnvironment(process.env);
  const clients = createClients(region, endpoint, endpoint && isLoopback(endpoint) ? (options.credentials ?? loopbackCredentials(endpoint, state)) : undefined);
  const close = (): void => {
    for (const c of [clients.cfn, clients.ec2, clients.elbv2, clients.iam]) c.destroy();
  };
  try {
    const resolvedRegion = await clients.cfn.config.region();
    if (local) {
      const localEndpoint = endpoint!;
      return {
        kind: 'local',
        region: resolvedRegion,
        endpoint: localEndpoint,
        // The output names the ALB's AWS DNS name; locally the ALB listens on this machine.
        facts: { ...stackFacts(local.stackName, local.outputs), url: local.url },
        clients,
        localStatus: async () => {
          const status = await fetchLocalStatus(localEndpoint);
          if (!status) throw new CliError(`${NOT_RUNNING} (its endpoint ${localEndpoint} stopped answering)`);
          return status;
        },
        close,
      };
    }
    const described = await clients.cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = described.Stacks?.[0];
    if (!stack) throw new CliError(`stack ${stackName} not found in ${resolvedRegion}`);
    const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue]));
    return { kind: 'aws', region: resolvedRegion, endpoint, facts: stackFacts(stackName, outputs), clients, close };
  } catch (err) {
    close();
    throw explainAwsError(err, { stackName, region });
  }
}
