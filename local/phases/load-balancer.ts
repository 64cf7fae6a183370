import { EC2Client } from '@aws-sdk/client-ec2';
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LocalLoadBalancer, onTargetsChanged, readTargetGroupSettings, TargetGroupSync, type TargetGroupSettings, type TargetStateChange } from '../alb/index.js';
import { readIdleTimeoutMs } from '../alb/load-balancer-settings.js';
import { deregisterTargetsInterceptor, instancesInVpc } from '../alb/deregister-targets-api.js';
import { targetHealthInterceptor } from '../alb/target-health-api.js';
import { motoClientConfig } from '../moto-server.js';
import { onInstancesChanged } from '../spot/fleet-calls.js';
import type { StackView } from '../stack-reader.js';
import { startPhase, type Started } from '../teardown.js';
import type { PhaseContext } from './phase-context.js';

/** How many target state changes are kept for `LocalCloud.targetChanges`. */
const KEPT_TARGET_CHANGES = 1000;

export interface LoadBalancerPhaseProps extends Omit<PhaseContext, 'verbose'> {
  readonly view: StackView;
  /** The port it listens on; 0 picks a free one. */
  readonly port: number;
  /** Where an instance's app listens (the Spot emulation knows); undefined while it has none. */
  readonly resolveTarget: (instanceId: string) => { host: string; port: number } | undefined;
  /** Instances EC2 reports `terminated` (the Spot emulation knows), for DescribeTargetHealth's Target.InvalidState. */
  readonly terminated: () => ReadonlySet<string>;
}

export interface LoadBalancerPhase {
  readonly loadBalancer: LocalLoadBalancer;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The target group's settings as moto holds them, on the local clock. */
  readonly settings: TargetGroupSettings;
  /** Target state changes, oldest first (the last 1000). */
  readonly targetChanges: ReadonlyArray<TargetStateChange & { readonly at: number }>;
  /** Reconciles the data plane's targets with the target group in moto now. */
  syncNow(): Promise<void>;
}

/**
 * The ALB's data plane for the stack's target group, configured as moto holds it (health checks, deregistration
 * delay, idle timeout), listening on `port`. Registrations through the AWS endpoint reach it at once, as ELB's
 * control plane pushes them to its data plane; a slow poll of moto is the safety net. DescribeTargetHealth at the
 * endpoint answers from it (initial, draining… which moto never shows). Throws PortInUseError for a busy port.
 */
export function startLoadBalancer(props: LoadBalancerPhaseProps): Promise<Started<LoadBalancerPhase>> {
  const { stack, view, clock, log } = props;
  const { gateway, clients } = stack;
  return startPhase(async (teardown) => {
    const settings = await readTargetGroupSettings(clients.elbv2, view.targetGroupArn, clock);
    const idleTimeoutMs = await readIdleTimeoutMs(clients.elbv2, view.loadBalancerArn, clock);
    const targetChanges: Array<TargetStateChange & { at: number }> = [];
    const loadBalancer = new LocalLoadBalancer({
      port: props.port,
      healthCheck: settings.healthCheck,
      deregistrationDelayMs: settings.deregistrationDelayMs,
      idleTimeoutMs,
      resolveTarget: props.resolveTarget,
      onTargetStateChange: (c) => {
        targetChanges.push({ ...c, at: Date.now() });
        if (targetChanges.length > KEPT_TARGET_CHANGES) targetChanges.shift();
        log(`  target ${c.id}: ${c.from} → ${c.to}${c.reason ? ` (${c.reason})` : ''}`);
      },
    });
    const url = await loadBalancer.start();
    teardown.add(() => loadBalancer.close());

    // The sync reads moto itself: through the gateway it would read the data plane's own answer back.
    const motoElbv2 = new ElasticLoadBalancingV2Client(motoClientConfig(stack.moto.endpoint, props.region, stack.iam.credentials));
    teardown.add(() => motoElbv2.destroy());
    const motoEc2 = new EC2Client(motoClientConfig(stack.moto.endpoint, props.region, stack.iam.credentials));
    teardown.add(() => motoEc2.destroy());
    let vpcOfTargetGroup: Promise<string | undefined> | undefined;
    // Asked once; a failed ask is not kept, so the next deregistration that needs it asks again.
    const targetGroupVpc = (): Promise<string | undefined> =>
      (vpcOfTargetGroup ??= motoElbv2
        .send(new DescribeTargetGroupsCommand({ TargetGroupArns: [view.targetGroupArn] }))
        .then((out) => out.TargetGroups?.[0]?.VpcId)
        .catch((error: unknown) => {
          vpcOfTargetGroup = undefined;
          throw error;
        }));
    // Pushed changes (below) make the poll a safety net only, so it can be slow and spare moto's CPU.
    const sync = new TargetGroupSync({ elbv2: motoElbv2, targetGroupArn: view.targetGroupArn, loadBalancer, pollMs: 1000 });
    const syncNow = (): Promise<void> => sync.syncNow().then(() => undefined);
    teardown.add(
      gateway.intercept(
        targetHealthInterceptor({
          targetGroupArn: view.targetGroupArn,
          port: view.targetGroupPort,
          dataPlane: () => loadBalancer.targets(),
          terminated: props.terminated,
          upstream: (req) => gateway.forwardToUpstream(req),
        }),
      ),
      gateway.intercept(
        deregisterTargetsInterceptor({
          targetGroupArn: view.targetGroupArn,
          registeredInMoto: async () => {
            const health = await motoElbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: view.targetGroupArn }));
            return new Set((health.TargetHealthDescriptions ?? []).flatMap((d) => (d.Target?.Id ? [d.Target.Id] : [])));
          },
          instancesInTargetGroupVpc: (ids) => instancesInVpc(motoEc2, ids, targetGroupVpc),
          send: (original, rewritten) => gateway.sendObserved(original, rewritten),
          accepted: (original) => gateway.notifyObservers(original, 200),
        }),
      ),
      // A change through the gateway is applied at once, then confirmed against moto.
      gateway.observe(
        onTargetsChanged((change) => {
          if (change.targetGroupArn !== view.targetGroupArn) return;
          for (const id of change.targetIds) {
            if (change.action === 'DeregisterTargets') loadBalancer.deregister(id);
            else loadBalancer.register(id);
          }
          void syncNow().catch(() => undefined);
        }),
      ),
      // moto drops a terminated instance from its target group.
      gateway.observe(onInstancesChanged(() => void syncNow().catch(() => undefined))),
    );
    sync.start();
    teardown.add(() => sync.stop());
    return { loadBalancer, url, settings, targetChanges, syncNow };
  });
}
