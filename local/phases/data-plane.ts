import type { LocalLoadBalancer } from '../alb/index.js';
import { FleetAutoscaler } from '../autoscaling/fleet-autoscaler.js';
import type { StackView } from '../stack-reader.js';
import { startPhase, type Started } from '../teardown.js';
import type { PhaseContext } from './phase-context.js';
import { startLoadBalancer, type LoadBalancerPhase } from './load-balancer.js';
import { startMessaging, type Messaging, type MessagingProps } from './messaging.js';
import { createSpotService, type SpotService } from './spot-service.js';

export interface DataPlaneProps extends PhaseContext {
  readonly view: StackView;
  readonly workDir: string;
  /** The load balancer's port; 0 picks a free one. */
  readonly port: number;
  /** Deliver interruption events to the stack's functions. */
  readonly handler: boolean;
  /** Run the instance app's own Spot watcher. */
  readonly spotWatcher: boolean;
  /** Execution environments per function at most. @default 8 (DEFAULT_MAX_CONCURRENCY) */
  readonly lambdaConcurrency?: number;
  /** @default one `NOTIFICATION …` line on `log` */
  readonly showNotification?: MessagingProps['showNotification'];
}

export type DataPlane = Messaging & SpotService & LoadBalancerPhase;

/**
 * Phase 3 of `npm start`: what AWS runs and moto does not — EventBridge → Lambda/SNS, the Spot service, the ALB's
 * data plane and the fleet's autoscaling — started in dependency order: the fleet is created before the load
 * balancer (which resolves its instances) and started after it. Resolves once every instance the fleet starts
 * with passes its health checks: a banner shown earlier would send the first reloads to a single instance.
 */
export function startDataPlane(props: DataPlaneProps): Promise<Started<DataPlane>> {
  const { stack, view, clock, log } = props;
  const context: PhaseContext = { stack, clock, region: props.region, log, verbose: props.verbose };
  return startPhase(async (teardown) => {
    const messaging = await startMessaging({
      ...context,
      topicArn: view.topicArn,
      invokeFunctions: props.handler,
      ...(props.lambdaConcurrency !== undefined && { lambdaConcurrency: props.lambdaConcurrency }),
      ...(props.showNotification && { showNotification: props.showNotification }),
    });
    teardown.add(() => messaging.close());
    const spot = await createSpotService({ ...context, fleet: view.fleet, bus: messaging.events.bus, workDir: props.workDir, spotWatcher: props.spotWatcher });
    teardown.add(() => spot.close());
    const alb = await startLoadBalancer({ ...context, view, port: props.port, resolveTarget: (id) => spot.fleet.resolve(id), terminated: () => spot.fleet.view().terminated() });
    teardown.add(() => alb.close());

    await spot.fleet.start();
    await alb.syncNow();
    if (view.scalingPolicy) {
      const autoscaler = new FleetAutoscaler({
        ec2: stack.clients.ec2,
        fleetRequestId: view.fleet.requestId,
        clock,
        policy: view.scalingPolicy,
        requestCountPerTarget: (windowMs) => alb.loadBalancer.requestCountPerTarget(windowMs),
        currentCapacity: () => spot.fleet.capacity,
        onScale: (from, to, perTarget, reason) => log(`  autoscaling: ${Math.round(perTarget)} requests/target/min → capacity ${from} → ${to} (${reason})`),
        onError: (err) => log(`  autoscaling error: ${err.message}`),
      });
      autoscaler.start();
      teardown.add(() => autoscaler.stop());
    }
    await waitForHealthy(alb.loadBalancer, spot.fleet.capacity, Math.max(30_000, alb.settings.healthCheck.intervalMs * 10));
    return { ...messaging, ...spot, ...alb };
  });
}

/**
 * Waits until the load balancer has `count` healthy targets.
 * @throws Error listing each target's state after `timeoutMs` (real ms).
 */
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
