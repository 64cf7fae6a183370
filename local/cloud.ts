import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LocalLoadBalancer, TargetStateChange } from './alb/index.js';
import { SimulatedClock } from './clock.js';
import { AlarmLog } from './cloudwatch/alarm-log.js';
import { startLocalAlarms, type AlarmStatus } from './cloudwatch/index.js';
import { DEFAULT_PORT, DEFAULT_REGION, DEFAULT_WORK_DIR, LOCAL_ACCOUNT_ID, type LocalCredentials, type LocalStatus } from './contract.js';
import type { AwsClients } from './deploy/clients.js';
import type { DeployedStack } from './deploy/deploy.js';
import type { DeliveryReport } from './events/bus.js';
import type { AwsGateway } from './gateway.js';
import type { AsyncInvocationReport, EventInvokeConfig } from './lambda/async-invocation.js';
import type { TopicNotification } from './notifications.js';
import { startDataPlane } from './phases/data-plane.js';
import { deployStack } from './phases/deploy-stack.js';
import { publishState } from './phases/publish-state.js';
import { isAddressInUse, loadBalancerPortInUse, probePort } from './ports.js';
import { checkLambdaConcurrency, checkLocalRegion } from './preflight.js';
import type { SpotFleetEmulator } from './spot/fleet-emulator.js';
import { readStackView } from './stack-reader.js';
import { startPhase } from './teardown.js';
import { lockWorkDir } from './work-dir-lock.js';
import type { AwsEvent } from '../common/ec2-events.js';

export interface LocalCloudOptions {
  /** The local ALB's port; 0 picks a free one. @default 8080 (DEFAULT_PORT) */
  readonly port?: number;
  /** Real time per AWS time for every interval (warning, drain, health checks, scaling), in (0, 1]. @default 1 (real time) */
  readonly timeScale?: number;
  /** Deliver interruption events to the handler Lambda. Off shows what the handler prevents. @default true */
  readonly handler?: boolean;
  /** The instance app's own Spot watcher. @default true */
  readonly spotWatcher?: boolean;
  /**
   * Serve the local cloud's own status (`GET <endpoint>/_local/status`: data-plane target states, the topic's inbox)
   * beside the AWS APIs. Off, the endpoint shows only what AWS shows, and the CLI takes its AWS path (the stack
   * found through CloudFormation's outputs). @default true
   */
  readonly localExtras?: boolean;
  /**
   * moto enforces IAM (local/iam/): every client needs `credentials`, the handler and the Spot emulation act with
   * their roles' actions. Off, moto accepts any request, as it does by default (to measure the cost, bench/iam-enforcement.ts).
   * @default true
   */
  readonly enforceIam?: boolean;
  /** @default us-east-1 (DEFAULT_REGION) */
  readonly region?: string;
  /** Working directory for the synthesized assembly and the extracted instance app. @default .local-cloud */
  readonly workDir?: string;
  /** CDK context values (`-c key=value`). */
  readonly context?: Record<string, unknown>;
  /** Progress and runtime messages for a human. */
  readonly log?: (line: string) => void;
  /** Instance and Lambda log lines (noisy). */
  readonly verboseLog?: (line: string) => void;
  /**
   * The width of the terminal `log` prints to, read at each line: an alarm's state change and CloudWatch's
   * notification of it are cut to fit (the full text stays in `status --json`). Either way the alarms' start-up
   * settling (INSUFFICIENT_DATA → OK, with its OK notifications) is said in one line. @default undefined (whole lines)
   */
  readonly columns?: () => number | undefined;
  /**
   * Execution environments per function at most, an integer from 1 to 1,000. Lambda gives a function one per
   * concurrent invocation, up to the account's concurrency, 1,000 by default ("Understanding Lambda function
   * scaling", https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html); a laptop runs a handful, so
   * invocations beyond it wait for one (harsher than AWS for a burst, never kinder). A function's reserved
   * concurrency (`ReservedConcurrentExecutions`) is not read: the stack reserves none.
   * @default 8 (DEFAULT_MAX_CONCURRENCY)
   */
  readonly lambdaConcurrency?: number;
}

export interface LocalCloud {
  readonly url: string;
  /** The AWS endpoint every client uses (`AWS_ENDPOINT_URL`). */
  readonly endpoint: string;
  readonly region: string;
  /** The local cloud's IAM identity: moto enforces IAM, so every client of `endpoint` needs an access key. */
  readonly credentials: LocalCredentials;
  /** Simulated time: AWS durations in real time (`options.timeScale`). */
  readonly clock: SimulatedClock;
  readonly stackName: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly fleetRequestId: string;
  readonly targetGroupArn: string;
  readonly deployed: DeployedStack;
  readonly clients: AwsClients;
  readonly loadBalancer: LocalLoadBalancer;
  readonly fleet: SpotFleetEmulator;
  /** The AWS endpoint; add interceptors to play APIs moto lacks or to inject faults. */
  readonly gateway: AwsGateway;
  /** The local cloud's status, as `GET <endpoint>/_local/status` serves it. */
  status(): LocalStatus;
  readonly notifications: readonly TopicNotification[];
  /** EventBridge's deliveries; for a function, the asynchronous Invoke accepted (or not), not its result. */
  readonly deliveries: readonly DeliveryReport[];
  /** Lambda's asynchronous invocations, each once it ended: succeeded, or dead-lettered after Lambda's retries. */
  readonly invocations: readonly AsyncInvocationReport[];
  /** The local ALB's target state changes, oldest first (the last 1000). */
  readonly targetChanges: ReadonlyArray<TargetStateChange & { readonly at: number }>;
  /** The stack's CloudWatch alarms as the local cloud last evaluated them. */
  alarms(): AlarmStatus[];
  /** Samples the local metrics and evaluates the alarms now, without waiting for the next simulated minute. */
  evaluateAlarms(): Promise<void>;
  /** Publishes an event on the local default bus (as AWS services do). */
  publish(event: AwsEvent): Promise<DeliveryReport[]>;
  /** UpdateFunctionCode for a stack function, as the local Lambda runtime plays it (StackEventBus.updateFunctionCode). */
  updateFunctionCode(functionName: string, assetDir: string): Promise<void>;
  /** PutFunctionEventInvokeConfig for a stack function, as the local runtime plays it (StackEventBus.putFunctionEventInvokeConfig). */
  putFunctionEventInvokeConfig(functionName: string, config: EventInvokeConfig): void;
  close(): Promise<void>;
}

/** Fails before the slow part when the load balancer's port is taken: the commonest start-up problem. */
async function assertPortFree(port: number): Promise<void> {
  if (port === 0) return;
  try {
    await probePort(port, '127.0.0.1');
  } catch (err) {
    if (isAddressInUse(err)) throw loadBalancerPortInUse(port, '127.0.0.1');
    throw err;
  }
}

/** Readies the (locked) work directory for the assembly and the Lambda assets. */
function prepareWorkDir(workDir: string): void {
  // Lambda loads a bundle as CommonJS from /var/task; here the project's package.json ("type": "module") would
  // make Node read the assets in cdk.out as ES modules, so the work directory declares its own module type.
  writeFileSync(join(workDir, 'package.json'), '{ "type": "commonjs" }\n');
}

/**
 * `npm start`: synthesizes the app, starts moto behind the AWS gateway, deploys the template into it, and
 * plays the data plane — instances, the ALB, the Spot service, EventBridge, the Lambda and autoscaling — in four
 * phases (local/phases/): deploy the stack → read it into a typed view → start the data plane (and CloudWatch's
 * alarms on it) → publish the state other processes find it by. Each phase stops what it started if a later one
 * fails. Throws a UserError (bad option, busy port, running local cloud, synth or deploy failure) with what to do.
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const log = options.log ?? (() => undefined);
  const verbose = options.verboseLog ?? (() => undefined);
  // The one clock every component keeps AWS's intervals on.
  const clock = new SimulatedClock(options.timeScale ?? 1);
  const region = options.region ?? DEFAULT_REGION;
  const port = options.port ?? DEFAULT_PORT;
  checkLocalRegion(region);
  checkLambdaConcurrency(options.lambdaConcurrency);
  const workDir = resolve(options.workDir ?? DEFAULT_WORK_DIR);
  mkdirSync(workDir, { recursive: true });
  // One local cloud per work directory: throws LocalCloudRunningError naming the one that holds it.
  const lock = lockWorkDir(workDir, port);

  return startPhase(async (teardown) => {
    teardown.add(() => lock.release());
    prepareWorkDir(workDir);
    await assertPortFree(port);
    const stack = await deployStack({ workDir, region, context: options.context, enforceIam: options.enforceIam ?? true, log, verbose });
    teardown.add(() => stack.close());
    const view = readStackView(stack.deployed);
    const alarmLog = new AlarmLog({ log, columns: options.columns ?? (() => undefined), clock, topicArn: view.topicArn });
    teardown.add(() => alarmLog.close());

    const dataPlane = await startDataPlane({
      stack,
      view,
      workDir,
      port,
      clock,
      region,
      handler: options.handler ?? true,
      ...(options.lambdaConcurrency !== undefined && { lambdaConcurrency: options.lambdaConcurrency }),
      spotWatcher: options.spotWatcher ?? true,
      showNotification: (n) => alarmLog.notification(n),
      log,
      verbose,
    });
    teardown.add(() => dataPlane.close());
    lock.update(Number(new URL(dataPlane.url).port), dataPlane.url);

    // CloudWatch: the template's alarms evaluated against the metrics the local parts produce.
    const alarms = await startLocalAlarms({
      deployed: stack.deployed,
      clients: stack.clients,
      loadBalancer: dataPlane.loadBalancer,
      fleet: dataPlane.fleet,
      fleetRequestId: view.fleet.requestId,
      deliveries: dataPlane.events.deliveries,
      invocationAttempts: dataPlane.events.attempts,
      deliveryFailures: dataPlane.events.deliveryFailures,
      clock,
      region,
      accountId: LOCAL_ACCOUNT_ID,
      onChange: (c) => alarmLog.change(c),
      log,
    });
    teardown.add(() => alarms.close());
    alarmLog.start(alarms.statuses(), alarms.unevaluated);

    const published = await publishState({
      stack,
      dataPlane,
      alarms,
      fleetRequestId: view.fleet.requestId,
      region,
      clock,
      localExtras: options.localExtras ?? true,
      workDir,
    });
    teardown.add(() => published.close());

    const local: Omit<LocalCloud, 'close'> = {
      url: dataPlane.url,
      endpoint: stack.endpoint,
      region,
      credentials: stack.iam.credentials,
      clock,
      stackName: stack.synth.stackName,
      outputs: stack.deployed.outputs,
      fleetRequestId: view.fleet.requestId,
      targetGroupArn: view.targetGroupArn,
      deployed: stack.deployed,
      clients: stack.clients,
      loadBalancer: dataPlane.loadBalancer,
      fleet: dataPlane.fleet,
      gateway: stack.gateway,
      status: published.status,
      notifications: dataPlane.notifications.received,
      deliveries: dataPlane.events.deliveries,
      invocations: dataPlane.events.invocations,
      targetChanges: dataPlane.targetChanges,
      alarms: () => alarms.statuses(),
      evaluateAlarms: () => alarms.evaluateNow(),
      publish: (event) => dataPlane.events.bus.publish(event),
      updateFunctionCode: (functionName, assetDir) => dataPlane.events.updateFunctionCode(functionName, assetDir),
      putFunctionEventInvokeConfig: (functionName, config) => dataPlane.events.putFunctionEventInvokeConfig(functionName, config),
    };
    return local;
  });
}
