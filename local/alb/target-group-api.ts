/**
 * ELB's registration API for one target group, as the local ALB's data plane gives it at the AWS endpoint: moto keeps
 * the registrations, and the gateway in front of it answers what moto cannot (target-health-api.ts: `initial`,
 * `draining`, unhealthy states; deregister-targets-api.ts: DeregisterTargets of a target already gone succeeds) and
 * tells the data plane of every change at once, as ELB's control plane pushes a registration to its load balancer
 * nodes. A poll of moto (TargetGroupSync) is the safety net for changes that did not go through the gateway.
 */
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsGateway } from '../gateway.js';
import { onInstancesChanged } from '../spot/fleet-calls.js';
import { deregisterTargetsInterceptor, instancesInVpc } from './deregister-targets-api.js';
import type { LocalLoadBalancer } from './load-balancer.js';
import { onTargetsChanged } from './registration-calls.js';
import { targetHealthInterceptor } from './target-health-api.js';
import { TargetGroupSync } from './target-sync.js';

export interface TargetGroupApiProps {
  readonly gateway: AwsGateway;
  /** Clients pointed at moto itself: through the gateway the sync would read the data plane's own answer back. */
  readonly moto: { readonly elbv2: ElasticLoadBalancingV2Client; readonly ec2: EC2Client };
  readonly targetGroupArn: string;
  /** The target group's port, for targets moto no longer lists (draining ones it already dropped). */
  readonly port: number;
  /** The data plane the target group's registrations drive. */
  readonly loadBalancer: LocalLoadBalancer;
  /** Instances EC2 reports `terminated` that moto may still count as registered. @default none */
  readonly terminated?: () => ReadonlySet<string>;
  /** How often moto is polled for changes that did not go through the gateway (ms). @default 1000 */
  readonly pollMs?: number;
}

export interface TargetGroupApi {
  /** Reconciles the data plane's targets with the target group in moto now. */
  syncNow(): Promise<void>;
  /** Takes the interceptors and observers off the gateway and stops the poll; resolves once a sync under way ended. */
  stop(): Promise<void>;
}

/** Installs the target group's API on the gateway and starts the poll. */
export function serveTargetGroupApi(props: TargetGroupApiProps): TargetGroupApi {
  const { gateway, moto, targetGroupArn, loadBalancer } = props;
  let vpcOfTargetGroup: Promise<string | undefined> | undefined;
  // Asked once; a failed ask is not kept, so the next deregistration that needs it asks again.
  const targetGroupVpc = (): Promise<string | undefined> =>
    (vpcOfTargetGroup ??= moto.elbv2
      .send(new DescribeTargetGroupsCommand({ TargetGroupArns: [targetGroupArn] }))
      .then((out) => out.TargetGroups?.[0]?.VpcId)
      .catch((error: unknown) => {
        vpcOfTargetGroup = undefined;
        throw error;
      }));
  // Pushed changes (below) make the poll a safety net only, so it can be slow and spare moto's CPU.
  const sync = new TargetGroupSync({ elbv2: moto.elbv2, targetGroupArn, loadBalancer, pollMs: props.pollMs ?? 1000 });
  const syncNow = (): Promise<void> => sync.syncNow().then(() => undefined);
  const removers = [
    gateway.intercept(
      targetHealthInterceptor({
        targetGroupArn,
        port: props.port,
        dataPlane: () => loadBalancer.targets(),
        ...(props.terminated && { terminated: props.terminated }),
        upstream: (req) => gateway.forwardToUpstream(req),
      }),
    ),
    gateway.intercept(
      deregisterTargetsInterceptor({
        targetGroupArn,
        registeredInMoto: async () => {
          const health = await moto.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
          return new Set((health.TargetHealthDescriptions ?? []).flatMap((d) => (d.Target?.Id ? [d.Target.Id] : [])));
        },
        instancesInTargetGroupVpc: (ids) => instancesInVpc(moto.ec2, ids, targetGroupVpc),
        send: (original, rewritten) => gateway.sendObserved(original, rewritten),
        accepted: (original) => gateway.notifyObservers(original, 200),
      }),
    ),
    // A change through the gateway is applied at once; the poll confirms it against moto. Not a sync per change: each
    // is a DescribeTargetHealth of the whole group in moto, which the caller's next call (the interruption handler
    // reads target health right after its DeregisterTargets) would queue behind, a cost ELB does not have.
    gateway.observe(
      onTargetsChanged((change) => {
        if (change.targetGroupArn === targetGroupArn) sync.applyPushed(change.action, change.targetIds);
      }),
    ),
    // moto drops a terminated instance from its target group.
    gateway.observe(onInstancesChanged(() => void syncNow().catch(() => undefined))),
  ];
  sync.start();
  return {
    syncNow,
    stop: () => {
      for (const remove of removers) remove();
      return sync.stop();
    },
  };
}
