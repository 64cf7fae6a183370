// ELB's target states for a fleet fixture's target groups at a gateway in front of moto, as the local cloud gives
// them (local/alb/target-group-api.ts): moto alone forgets a deregistered target at once, where ELB shows it
// `draining` for the deregistration delay, and the handler reads that state (handlers/interruption/drain.ts).
// The data planes route no traffic: their targets have no endpoint, so they stay `initial` or turn `unhealthy`,
// which the handler treats as the live registrations they are.
import { EC2Client } from '@aws-sdk/client-ec2';
import { DescribeTargetGroupAttributesCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LocalLoadBalancer, settingsFromTargetGroup } from '../local/alb/index.js';
import { serveTargetGroupApi, type TargetGroupApi } from '../local/alb/target-group-api.js';
import type { AwsGateway } from '../local/gateway.js';
import { motoClientConfig } from '../local/moto-server.js';

export interface TargetGroupFront {
  /** Takes the target groups' API off the gateway and closes their data planes. */
  close(): Promise<void>;
}

/**
 * Serves ELB's registration API for `targetGroupArns` at `gateway` (which forwards to moto at `motoEndpoint`), each
 * target group with its own data plane configured as moto holds it (deregistration delay, health checks), in real
 * time. Resolves once every data plane has the target group's current registrations.
 */
export async function startTargetGroupFront(gateway: AwsGateway, motoEndpoint: string, targetGroupArns: readonly string[]): Promise<TargetGroupFront> {
  const moto = { elbv2: new ElasticLoadBalancingV2Client(motoClientConfig(motoEndpoint)), ec2: new EC2Client(motoClientConfig(motoEndpoint)) };
  const served: Array<{ loadBalancer: LocalLoadBalancer; api: TargetGroupApi }> = [];
  const close = async () => {
    await Promise.all(served.map(({ api }) => api.stop()));
    await Promise.all(served.map(({ loadBalancer }) => loadBalancer.close()));
    moto.elbv2.destroy();
    moto.ec2.destroy();
  };
  try {
    for (const targetGroupArn of targetGroupArns) {
      // One read of the group gives both its settings (in real time: nothing here is scaled) and its port.
      const [described, attributes] = await Promise.all([
        moto.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [targetGroupArn] })),
        moto.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn })),
      ]);
      const group = described.TargetGroups?.[0];
      if (!group) throw new Error(`target group ${targetGroupArn} was not found`);
      const settings = settingsFromTargetGroup(group, attributes.Attributes ?? []);
      const port = group.Port ?? 80;
      const loadBalancer = new LocalLoadBalancer({
        healthCheck: settings.healthCheck,
        deregistrationDelayMs: settings.deregistrationDelayMs,
        resolveTarget: () => undefined,
      });
      await loadBalancer.start();
      const api = serveTargetGroupApi({ gateway, moto, targetGroupArn, port, loadBalancer });
      served.push({ loadBalancer, api });
      await api.syncNow();
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { close };
}
