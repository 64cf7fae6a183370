import { LOCAL_ACCOUNT_ID } from '../contract.js';
import type { LocalEventBus } from '../events/bus.js';
import { fisInterceptor } from '../fis/experiments.js';
import { LaunchTemplateImages } from '../instances/launch-template-images.js';
import { fleetApiInterceptor } from '../spot/fleet-api.js';
import { fleetModificationInterceptor, onFleetModified, onInstancesChanged } from '../spot/fleet-calls.js';
import { SpotFleetEmulator } from '../spot/fleet-emulator.js';
import { launchTemplateConfigsXml, launchTemplateModificationInterceptor } from '../spot/launch-template-configs.js';
import type { StackFleet } from '../stack-reader.js';
import { startPhase, type Started } from '../teardown.js';
import type { PhaseContext } from './phase-context.js';

export interface SpotServiceProps extends PhaseContext {
  readonly fleet: StackFleet;
  /** Where the Spot service sends its events (interruption warnings, rebalance recommendations). */
  readonly bus: LocalEventBus;
  /** The work directory: each launch template version's instance app is extracted there. */
  readonly workDir: string;
  /** Run the instance app's own Spot watcher. */
  readonly spotWatcher: boolean;
}

export interface SpotService {
  /** Constructed, not started: start it once the load balancer can resolve its instances. */
  readonly fleet: SpotFleetEmulator;
  /** When the interruption warning for a live instance went out (the reclaim time alone does not say it under a time scale). */
  warnedAt(instanceId: string): Date | undefined;
}

/**
 * The Spot service for the stack's fleet, wired to the AWS endpoint: capacity changes and instance state changes
 * through the gateway reach the emulation at once; EC2's answers about the fleet (its instances, fulfilled
 * capacity, launch template, shutting-down instances) come from what runs; FIS's Spot interruption action plays.
 */
export function createSpotService(props: SpotServiceProps): Promise<Started<SpotService>> {
  const { stack, fleet: spec, clock, log } = props;
  const { gateway, clients } = stack;
  return startPhase(async (teardown) => {
    // The instance app is taken from the launch template version's user data: the program EC2 would run.
    const images = new LaunchTemplateImages({ ec2: clients.ec2, launchTemplateId: spec.launchTemplate.id, dir: props.workDir, clock });
    const { version } = await images.forVersion(spec.launchTemplate.version);
    const fleet = new SpotFleetEmulator({
      ec2: clients.ec2,
      elbv2: clients.elbv2,
      fleetRole: stack.iam.fleetRoleClients({
        endpoint: stack.endpoint,
        roleArn: spec.iamFleetRole,
        fleetRequestArn: `arn:aws:ec2:${props.region}:${LOCAL_ACCOUNT_ID}:spot-fleet-request/${spec.requestId}`,
        account: LOCAL_ACCOUNT_ID,
      }),
      fleetRequestId: spec.requestId,
      launchSpecifications: spec.launchSpecifications,
      targetGroupArns: spec.targetGroupArns,
      region: props.region,
      account: LOCAL_ACCOUNT_ID,
      launchTemplate: { id: spec.launchTemplate.id, version },
      images,
      clock,
      spotWatcher: props.spotWatcher,
      ...(spec.capacityRebalance && { capacityRebalance: spec.capacityRebalance }),
      publishEvent: async (event) => {
        await props.bus.publish(event);
      },
      onLog: props.verbose,
    });
    teardown.add(() => fleet.stop());
    const warnedAt = new Map<string, Date>();
    fleet.on('launched', (i) => log(`  instance ${i.instanceId} launched (${i.instanceType}, ${i.availabilityZone})`));
    fleet.on('warned', (w) => {
      warnedAt.set(w.instanceId, new Date());
      log(`  Spot interruption warning → ${w.instanceId} (${w.action} at ${w.reclaimAt.toISOString()}${w.reason ? `; ${w.reason}` : ''})`);
    });
    fleet.on('terminated', (t) => {
      warnedAt.delete(t.instanceId);
      log(`  instance ${t.instanceId} terminated`);
    });
    fleet.on('rebalance-recommended', (r) =>
      log(`  rebalance recommendation → ${r.instanceId}${r.replaced ? ' (capacity rebalancing: replacement launching)' : ''}`),
    );
    fleet.on('powered-off', (p) => log(`  instance ${p.instanceId} powered itself off (${p.reason}): shutdown behaviour terminate`));
    fleet.on('error', (err) => log(`  Spot Fleet emulation error: ${err.message}`));

    teardown.add(
      // Spot instances are reclaimed with a warning, by the emulation, never by moto at once.
      gateway.intercept(fleetModificationInterceptor),
      gateway.intercept(launchTemplateModificationInterceptor({ fleetRequestId: spec.requestId, fleet })),
      // moto stays the store; its answers about the fleet are corrected from what runs.
      gateway.intercept(
        fleetApiInterceptor({
          fleet: fleet.view(),
          upstream: (req) => gateway.forwardToUpstream(req),
          launchTemplateConfigs: () => launchTemplateConfigsXml(fleet.launchTemplateSpecification, spec.launchTemplate.overrides),
        }),
      ),
      gateway.intercept(fisInterceptor({ fleet, clock, region: props.region, account: LOCAL_ACCOUNT_ID })),
      gateway.observe(onFleetModified((m) => fleet.onModification(m))),
      gateway.observe(onInstancesChanged(() => fleet.onInstancesChanged())),
    );
    return { fleet, warnedAt: (id) => warnedAt.get(id) };
  });
}
