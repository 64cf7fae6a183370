import type { SpotFleetLaunchSpecification } from '@aws-sdk/client-ec2';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readIdleTimeoutMs } from './alb/load-balancer-settings.js';
import { LocalLoadBalancer, onTargetsChanged, readTargetGroupSettings, TargetGroupSync, type TargetStateChange } from './alb/index.js';
import { FleetAutoscaler } from './autoscaling/fleet-autoscaler.js';
import { createClients, destroyClients, type AwsClients } from './deploy/clients.js';
import { deployTemplate, type DeployedStack, type ProgressEvent } from './deploy/deploy.js';
import type { DeliveryReport } from './events/bus.js';
import type { AsyncInvocationReport } from './lambda/async-invocation.js';
import { createStackEventBus } from './events/stack-targets.js';
import { DEFAULT_WORK_DIR, LOCAL_ACCOUNT_ID, STATE_FILE, type LocalCloudState, type LocalStatus } from './contract.js';
import { describeNotification, startLocalAlarms, type AlarmStatus, type LocalAlarms } from './cloudwatch/index.js';
import { controlApi } from './control-api.js';
import { elbOutageControl } from './fault-control.js';
import { fisInterceptor } from './fis/experiments.js';
import { AwsGateway, type GatewayRequest, type GatewayResponse, type Interceptor } from './gateway.js';
import { fleetModificationInterceptor, onFleetModified, onInstancesChanged } from './spot/fleet-calls.js';
import { targetHealthInterceptor } from './alb/target-health-api.js';
import { fleetApiInterceptor } from './spot/fleet-api.js';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { cloudFormationReads } from './cloudformation/stack-reads.js';
import { motoClientConfig, startMoto, type MotoServer } from './moto-server.js';
import { isAddressInUse, PortInUseError, probePort } from './ports.js';
import { NotificationInbox, type TopicNotification } from './notifications.js';
import { SpotFleetEmulator } from './spot/fleet-emulator.js';
import type { AwsEvent } from '../common/ec2-events.js';
import { printableLine } from './printable.js';
import { LaunchTemplateImages } from './instances/launch-template-images.js';
import { capacityRebalanceOf } from './spot/rebalance.js';
import { launchTemplateConfigsInterceptor } from './spot/launch-template-configs.js';
import { findResource, scalingPolicyOf } from './stack-reader.js';
import { synthesizeStack } from './synth.js';
import { SimulatedClock } from './clock.js';
import { checkLocalRegion, checkPlayable } from './preflight.js';
import { lockWorkDir } from './work-dir-lock.js';
import { withRealTime } from './time-scale-text.js';

export interface LocalCloudOptions {
  /** The local ALB's port. @default 8080 */
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
  readonly region?: string;
  /** Working directory for the synthesized assembly and the extracted instance app. @default .local-cloud */
  readonly workDir?: string;
  /** CDK context values (`-c key=value`). */
  readonly context?: Record<string, unknown>;
  /** Progress and runtime messages for a human. */
  readonly log?: (line: string) => void;
  /** Instance and Lambda log lines (noisy). */
  readonly verboseLog?: (line: string) => void;
}

export interface LocalCloud {
  readonly url: string;
  /** The AWS endpoint every client uses (`AWS_ENDPOINT_URL`). */
  readonly endpoint: string;
  readonly region: string;
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
  close(): Promise<void>;
}

const DEFAULT_REGION = 'us-east-1';


async function assertPortFree(port: number): Promise<void> {
  try {
    await probePort(port, '127.0.0.1');
  } catch (err) {
    if (isAddressInUse(err)) throw new PortInUseError(port, '127.0.0.1', 'pass `npm start -- --port <free port>`, or stop the program using it');
    throw err;
  }
}

/** Waits until the load balancer has `count` healthy targets. */
async function waitForHealthy(lb: LocalLoadBalancer, count: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (lb.targets().filter((t) => t.state === 'healthy').length < count) {
    if (Date.now() > until) {
      const states = lb.targets().map((t) => `${t.id}=${t.state}`).join(', ') || 'none registered';
      throw new Error(`no healthy target after ${timeoutMs} ms (${states})`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * `npm start`: synthesizes the app, starts moto behind the AWS gateway, deploys the template into it, and
 * plays the data plane — instances, the ALB, the Spot service, EventBridge, the Lambda and autoscaling.
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const log = options.log ?? (() => undefined);
  const verbose = options.verboseLog ?? (() => undefined);
  // The one clock every component keeps AWS's intervals on.
  const clock = new SimulatedClock(options.timeScale ?? 1);
  const region = options.region ?? DEFAULT_REGION;
  checkLocalRegion(region);
  const workDir = resolve(options.workDir ?? DEFAULT_WORK_DIR);
  mkdirSync(workDir, { recursive: true });
  const lock = lockWorkDir(workDir, options.port ?? 8080);
  // Lambda loads a bundle as CommonJS from /var/task; here the project's package.json ("type": "module") would
  // make Node read the assets in cdk.out as ES modules, so the work directory declares its own module type.
  writeFileSync(join(workDir, 'package.json'), '{ "type": "commonjs" }\n');

  const closers: Array<() => Promise<void> | void> = [() => lock.release()];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    closers.length = 0;
  };

  try {
    // Fail before the slow part: a busy port is the commonest start-up problem.
    if ((options.port ?? 8080) !== 0) await assertPortFree(options.port ?? 8080);
    log('Synthesizing the CDK app (same app as `cdk deploy`)…');
    // moto starts while the app synthesizes; whatever fails next, it is stopped again.
    const motoStarting = startMoto({ loadManagedPolicies: true });
    closers.push(async () => (await motoStarting.catch(() => undefined))?.stop());
    const synth = synthesizeStack(join(workDir, 'cdk.out'), options.context);
    checkPlayable(synth.template);
    const moto: MotoServer = await motoStarting;
    log(`moto (local AWS control plane) on ${moto.endpoint}`);

    const gateway = new AwsGateway({ upstream: moto.endpoint });
    // Spot instances are reclaimed with a warning, by the emulation, never by moto at once.
    gateway.intercept(fleetModificationInterceptor);
    const endpoint = await gateway.start();
    closers.push(() => gateway.close());
    const clients = createClients({ endpoint, region });
    closers.push(() => destroyClients(clients));

    log(`Deploying ${synth.stackName} into the local cloud…`);
    const deployed = await deployTemplate({
      template: synth.template,
      assemblyDir: synth.assemblyDir,
      stackName: synth.stackName,
      endpoint,
      region,
      onProgress: (e: ProgressEvent) => {
        if (e.status === 'created') verbose(`  created ${e.type} ${e.logicalId}`);
      },
    });
    // CloudFormation's read calls answer for the deployed stack, which moto does not hold.
    closers.push(gateway.intercept(cloudFormationReads(deployed)));
    const created = Object.keys(deployed.resources).length;
    log(`  ${created} resources created through the AWS APIs.`);
    if (deployed.skipped.length > 0) {
      log('  Not emulated locally (left out, listed so nothing is dropped silently):');
      for (const s of deployed.skipped) log(`    - ${s.logicalId} (${s.type}): ${s.reason}`);
    }
    for (const n of deployed.notes) log(`  note: ${n.logicalId} (${n.type}): ${n.message}`);
    for (const n of deployed.notApplicable) log(`  not applicable locally: ${n.name}: ${n.reason}`);

    const fleetResource = findResource(deployed, 'AWS::EC2::SpotFleet');
    const fleetRequestId = fleetResource.physicalId;
    const fleetConfig = fleetResource.properties.SpotFleetRequestConfigData as Record<string, any>;
    const launchSpecifications = fleetResource.attributes.LaunchSpecifications as SpotFleetLaunchSpecification[];
    const targetGroupArns: string[] = (fleetConfig.LoadBalancersConfig?.TargetGroupsConfig?.TargetGroups ?? []).map((t: { Arn: string }) => t.Arn);
    const firstTargetGroup = targetGroupArns[0];
    if (!firstTargetGroup) throw new Error('the Spot Fleet names no target group in LoadBalancersConfig');
    const targetGroupArn: string = firstTargetGroup;

    // The instance app is taken from the launch template version's user data: the program EC2 would run.
    const ltSpec = fleetConfig.LaunchTemplateConfigs?.[0]?.LaunchTemplateSpecification as { LaunchTemplateId?: string; Version?: string } | undefined;
    if (!ltSpec?.LaunchTemplateId) throw new Error('the Spot Fleet names no launch template in LaunchTemplateConfigs');
    const images = new LaunchTemplateImages({ ec2: clients.ec2, launchTemplateId: ltSpec.LaunchTemplateId, dir: workDir, clock });
    const launchTemplate = { id: ltSpec.LaunchTemplateId, version: (await images.forVersion(ltSpec.Version ?? '$Default')).version };

    // EventBridge → Lambda / SNS, with retries and the dead-letter queue.
    let alarms: LocalAlarms | undefined;
    const events = createStackEventBus({
      deployed,
      assemblyDir: synth.assemblyDir,
      clients,
      endpoint,
      region,
      clock,
      invokeFunctions: options.handler ?? true,
      onInvocation: (fn, failed) => alarms?.recordInvocation(fn, failed),
      log,
      verbose,
    });
    closers.push(() => events.close());
    const bus = events.bus;

    // A human's inbox for the topic.
    // The message came from outside (whoever published): one printable line.
    const notifications = new NotificationInbox((n) => log(`NOTIFICATION ${withRealTime(printableLine(describeNotification(n.message, n.subject)), clock)}`));
    closers.push(() => notifications.close());
    const topic = findResource(deployed, 'AWS::SNS::Topic');
    await notifications.subscribe(clients.sns, topic.physicalId);

    // The ALB's data plane, configured from the target group as moto holds it.
    const settings = await readTargetGroupSettings(clients.elbv2, targetGroupArn, clock);
    const albResource = findResource(deployed, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    const idleTimeoutMs = await readIdleTimeoutMs(clients.elbv2, albResource.physicalId, clock);
    let fleet: SpotFleetEmulator | undefined;
    const targetChanges: Array<TargetStateChange & { at: number }> = [];
    const loadBalancer = new LocalLoadBalancer({
      port: options.port ?? 8080,
      healthCheck: settings.healthCheck,
      deregistrationDelayMs: settings.deregistrationDelayMs,
      idleTimeoutMs,
      resolveTarget: (id) => fleet?.resolve(id),
      portInUseHint: 'pass `npm start -- --port <free port>`, or stop the program using it',
      onTargetStateChange: (c) => {
        targetChanges.push({ ...c, at: Date.now() });
        if (targetChanges.length > 1000) targetChanges.shift();
        log(`  target ${c.id}: ${c.from} → ${c.to}${c.reason ? ` (${c.reason})` : ''}`);
      },
    });
    const url = await loadBalancer.start();
    closers.push(() => loadBalancer.close());
    lock.update(Number(new URL(url).port), url);
    // Registrations through the gateway reach the ALB at once (below), and so does moto dropping a terminated
    // instance from the group (on the gateway's instances-changed); the poll is only a safety net, so it can be
    // slow and spare moto's CPU.
    // The sync reads moto itself: through the gateway it would read the data plane's own answer back.
    const motoElbv2 = new ElasticLoadBalancingV2Client(motoClientConfig(moto.endpoint, region));
    closers.push(() => motoElbv2.destroy());
    const sync = new TargetGroupSync({ elbv2: motoElbv2, targetGroupArn, loadBalancer, pollMs: 1000 });
    // The AWS API answers from the data plane: target health from the local ALB, the fleet's instances,
    // fulfilled capacity and shutting-down instances from the Spot emulation; moto stays the store.
    // The fleet's launch template settings (local/spot/launch-template-configs.ts, set once the fleet runs) and its
    // capacity both correct DescribeSpotFleetRequests: the capacity correction reads the other's answer.
    let launchTemplateAnswer: Interceptor = async () => undefined;
    const upstream = async (req: GatewayRequest): Promise<GatewayResponse> => {
      const answer = await launchTemplateAnswer(req);
      return answer && 'status' in answer ? answer : gateway.forwardToUpstream(req);
    };
    const targetGroupPort = Number(findResource(deployed, 'AWS::ElasticLoadBalancingV2::TargetGroup').properties.Port ?? 80);
    closers.push(gateway.intercept(targetHealthInterceptor({ targetGroupArn, port: targetGroupPort, dataPlane: () => loadBalancer.targets(), upstream })));
    closers.push(gateway.intercept(fleetApiInterceptor({ fleet: () => fleet?.view(), upstream })));
    sync.start();
    closers.push(() => sync.stop());
    // A change through the gateway is applied at once, as ELB's control plane pushes registrations to its data
    // plane, then confirmed against moto.
    closers.push(
      gateway.observe(
        onTargetsChanged((change) => {
          if (change.targetGroupArn !== targetGroupArn) return;
          for (const id of change.targetIds) {
            if (change.action === 'DeregisterTargets') loadBalancer.deregister(id);
            else loadBalancer.register(id);
          }
          void sync.syncNow().catch(() => undefined);
        }),
      ),
    );

    // The Spot service.
    fleet = new SpotFleetEmulator({
      ec2: clients.ec2,
      elbv2: clients.elbv2,
      fleetRequestId,
      launchSpecifications,
      targetGroupArns,
      region,
      account: LOCAL_ACCOUNT_ID,
      launchTemplate,
      images,
      clock,
      spotWatcher: options.spotWatcher ?? true,
      capacityRebalance: capacityRebalanceOf(fleetConfig),
      publishEvent: async (event) => {
        await bus.publish(event);
      },
      onLog: verbose,
    });
    const theFleet = fleet;
    theFleet.on('launched', (i) => log(`  instance ${i.instanceId} launched (${i.instanceType}, ${i.availabilityZone})`));
    // When each warning went out, for the CLI's report (the reclaim time alone does not say it under a time scale).
    const warnedAt = new Map<string, Date>();
    theFleet.on('warned', (w) => warnedAt.set(w.instanceId, new Date()));
    theFleet.on('terminated', (t) => warnedAt.delete(t.instanceId));
    theFleet.on('warned', (w) => log(`  Spot interruption warning → ${w.instanceId} (${w.action} at ${w.reclaimAt.toISOString()})`));
    theFleet.on('terminated', (t) => log(`  instance ${t.instanceId} terminated`));
    theFleet.on('rebalance-recommended', (r) =>
      log(`  rebalance recommendation → ${r.instanceId}${r.replaced ? ' (capacity rebalancing: replacement launching)' : ''}`),
    );
    theFleet.on('powered-off', (p) => log(`  instance ${p.instanceId} powered itself off (${p.reason}): shutdown behaviour terminate`));
    theFleet.on('error', (err) => log(`  Spot Fleet emulation error: ${err.message}`));
    closers.push(gateway.observe(onFleetModified((m) => theFleet.onModification(m))));
    closers.push(
      gateway.observe(
        onInstancesChanged(() => {
          theFleet.onInstancesChanged();
          void sync.syncNow().catch(() => undefined);
        }),
      ),
    );
    closers.push(() => theFleet.stop());
    await theFleet.start();
    await sync.syncNow();

    const policy = scalingPolicyOf(deployed);
    if (policy) {
      const autoscaler = new FleetAutoscaler({
        ec2: clients.ec2,
        fleetRequestId,
        clock,
        policy,
        requestCountPerTarget: (windowMs) => loadBalancer.requestCountPerTarget(windowMs),
        currentCapacity: () => theFleet.capacity,
        onScale: (from, to, perTarget, reason) => log(`  autoscaling: ${Math.round(perTarget)} requests/target/min → capacity ${from} → ${to} (${reason})`),
        onError: (err) => log(`  autoscaling error: ${err.message}`),
      });
      autoscaler.start();
      closers.push(() => autoscaler.stop());
    }

    // Ready when every instance the fleet started with serves: a banner shown while one is still in its first
    // health checks would send the first reloads to a single instance.
    await waitForHealthy(loadBalancer, theFleet.capacity, Math.max(30_000, settings.healthCheck.intervalMs * 10));

    // CloudWatch: the template's alarms evaluated against the metrics the local parts produce.
    alarms = await startLocalAlarms({
      deployed,
      clients,
      loadBalancer,
      fleet: theFleet,
      fleetRequestId,
      deliveries: events.deliveries,
      clock,
      region,
      accountId: LOCAL_ACCOUNT_ID,
      onChange: (c) => log(`  ALARM STATE ${c.alarmName}: ${c.oldState} → ${c.newState} (${c.reason})`),
      log,
    });
    const theAlarms = alarms;
    closers.push(() => theAlarms.close());

    const status = (): LocalStatus => ({
      url,
      endpoint,
      region,
      stackName: synth.stackName,
      outputs: deployed.outputs,
      fleet: {
        requestId: fleetRequestId,
        targetCapacity: theFleet.capacity,
        instances: theFleet.instances().map((i) => ({
          instanceId: i.instanceId,
          instanceType: i.instanceType,
          availabilityZone: i.availabilityZone,
          reclaimAt: i.reclaimAt?.toISOString(),
          warnedAt: warnedAt.get(i.instanceId)?.toISOString(),
        })),
      },
      targets: loadBalancer.targets(),
      loadBalancer: loadBalancer.counters(),
      notifications: notifications.received.map((n) => ({ message: n.message, subject: n.subject, receivedAt: n.receivedAt.toISOString() })),
      alarms: theAlarms.statuses(),
    });
    if (options.localExtras ?? true) {
      // Before the control API, which answers 404 for any other /_local/ path.
      const outageControl = elbOutageControl(gateway, clock);
      closers.push(gateway.intercept(outageControl), () => outageControl.end());
      closers.push(gateway.intercept(controlApi(status)));
    }
    launchTemplateAnswer = launchTemplateConfigsInterceptor({
      fleetRequestId,
      upstream: moto.endpoint,
      overrides: fleetConfig.LaunchTemplateConfigs?.[0]?.Overrides ?? [],
      fleet: theFleet,
    });
    closers.push(gateway.intercept(launchTemplateAnswer));
    closers.push(gateway.intercept(fisInterceptor({ fleet: theFleet, clock, region, account: LOCAL_ACCOUNT_ID })));
    // Where other processes (the CLI) find this local cloud.
    const stateFile = join(workDir, STATE_FILE);
    const state: LocalCloudState = { endpoint, url, region, stackName: synth.stackName, pid: process.pid };
    writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
    closers.push(() => rmSync(stateFile, { force: true }));

    return {
      url,
      endpoint,
      region,
      clock,
      stackName: synth.stackName,
      outputs: deployed.outputs,
      fleetRequestId,
      targetGroupArn,
      deployed,
      clients,
      loadBalancer,
      fleet: theFleet,
      gateway,
      status,
      notifications: notifications.received,
      deliveries: events.deliveries,
      invocations: events.invocations,
      targetChanges,
      alarms: () => theAlarms.statuses(),
      evaluateAlarms: () => theAlarms.evaluateNow(),
      publish: (event) => bus.publish(event),
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
