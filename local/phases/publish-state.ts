import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimulatedClock } from '../clock.js';
import type { LocalAlarms } from '../cloudwatch/index.js';
import { STATE_FILE, type LocalCloudState, type LocalStatus } from '../contract.js';
import { controlApi } from '../control-api.js';
import { elbOutageControl } from '../fault-control.js';
import { startPhase, type Started } from '../teardown.js';
import type { DataPlane } from './data-plane.js';
import type { LocalStack } from './deploy-stack.js';

export interface PublishStateProps {
  readonly stack: LocalStack;
  readonly dataPlane: DataPlane;
  readonly alarms: LocalAlarms;
  readonly fleetRequestId: string;
  readonly region: string;
  readonly clock: SimulatedClock;
  /** Serve `/_local/status` and `/_local/faults/…` beside the AWS APIs. */
  readonly localExtras: boolean;
  /** Where the state file goes (the work directory). */
  readonly workDir: string;
}

export interface PublishedState {
  /** The local cloud's status, as `GET <endpoint>/_local/status` serves it. */
  status(): LocalStatus;
}

/**
 * Phase 4 of `npm start`: makes the running local cloud findable. With the local extras, its status and fault
 * controls are served on the AWS endpoint; the state file in the work directory tells other processes (the CLI)
 * where the endpoint and the load balancer are. Removed again on close.
 */
export function publishState(props: PublishStateProps): Promise<Started<PublishedState>> {
  const { stack, dataPlane, alarms } = props;
  return startPhase(async (teardown) => {
    const status = (): LocalStatus => ({
      url: dataPlane.url,
      endpoint: stack.endpoint,
      region: props.region,
      stackName: stack.synth.stackName,
      outputs: stack.deployed.outputs,
      fleet: {
        requestId: props.fleetRequestId,
        targetCapacity: dataPlane.fleet.capacity,
        instances: dataPlane.fleet.instances().map((i) => ({
          instanceId: i.instanceId,
          instanceType: i.instanceType,
          availabilityZone: i.availabilityZone,
          reclaimAt: i.reclaimAt?.toISOString(),
          warnedAt: dataPlane.warnedAt(i.instanceId)?.toISOString(),
        })),
      },
      targets: dataPlane.loadBalancer.targets(),
      loadBalancer: dataPlane.loadBalancer.counters(),
      notifications: dataPlane.notifications.received.map((n) => ({ message: n.message, subject: n.subject, receivedAt: n.receivedAt.toISOString() })),
      alarms: alarms.statuses(),
    });
    if (props.localExtras) {
      // Before the control API, which answers 404 for any other /_local/ path.
      const outageControl = elbOutageControl(stack.gateway, props.clock);
      teardown.add(stack.gateway.intercept(outageControl), () => outageControl.end());
      teardown.add(stack.gateway.intercept(controlApi(status)));
    }
    const stateFile = join(props.workDir, STATE_FILE);
    const state: LocalCloudState = {
      endpoint: stack.endpoint,
      url: dataPlane.url,
      region: props.region,
      stackName: stack.synth.stackName,
      pid: process.pid,
      credentials: stack.iam.credentials,
    };
    // It holds the access key: the user's alone (removed first: a mode applies only to a new file).
    rmSync(stateFile, { force: true });
    writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    teardown.add(() => rmSync(stateFile, { force: true }));
    return { status };
  });
}
