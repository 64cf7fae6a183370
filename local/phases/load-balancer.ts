import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LocalLoadBalancer, readTargetGroupSettings, type TargetGroupSettings, type TargetStateChange } from '../alb/index.js';
import { readIdleTimeoutMs } from '../alb/load-balancer-settings.js';
import { serveTargetGroupApi } from '../alb/target-group-api.js';
import { motoClientConfig } from '../moto-server.js';
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

    // The target group's API reads moto itself: through the gateway it would read the data plane's own answer back.
    const motoElbv2 = new ElasticLoadBalancingV2Client(motoClientConfig(stack.moto.endpoint, props.region, stack.iam.credentials));
    teardown.add(() => motoElbv2.destroy());
    const motoEc2 = new EC2Client(motoClientConfig(stack.moto.endpoint, props.region, stack.iam.credentials));
    teardown.add(() => motoEc2.destroy());
    const api = serveTargetGroupApi({
      gateway,
      moto: { elbv2: motoElbv2, ec2: motoEc2 },
      targetGroupArn: view.targetGroupArn,
      port: view.targetGroupPort,
      loadBalancer,
      terminated: props.terminated,
    });
    teardown.add(() => api.stop());
    const syncNow = api.syncNow;
    return { loadBalancer, url, settings, targetChanges, syncNow };
  });
}
