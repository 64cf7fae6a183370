import type { FleetSnapshot, InstanceView } from '../../cli/fleet-snapshot.js';

/** A serving instance as `status` shows it; `over` changes any field. */
export const instance = (id: string, over: Partial<InstanceView> = {}): InstanceView => ({
  instanceId: id,
  availabilityZone: 'us-east-1a',
  instanceType: 't3.micro',
  state: 'running',
  health: 'healthy',
  ...over,
});

/** A local fleet snapshot holding `instances`, at its target capacity unless told otherwise. */
export const snapshot = (instances: InstanceView[], at = '2025-01-01T00:00:00.000Z', targetCapacity = instances.length): FleetSnapshot => ({
  at,
  target: 'local',
  stackName: 'SpotWeb',
  url: 'http://127.0.0.1:8080',
  fleetRequestId: 'sfr-1',
  fleetState: 'active',
  targetCapacity,
  fulfilledCapacity: instances.length,
  instances,
});
