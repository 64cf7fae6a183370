/**
 * The roll's next step, decided from AWS state alone (no local progress file), so the command can be stopped and
 * run again at any point: what the fleet launches from, which instances run an older launch template version, and
 * where each stands in the target group. One instance at a time, the way an interruption goes: a replacement
 * launched and healthy first, the old one deregistered and drained, then terminated; never fewer healthy targets
 * than the capacity the roll started from.
 */

/** Tag on the Spot Fleet request while a roll runs: the capacity to keep serving and to return to. */
export const ROLL_CAPACITY_TAG = 'spotweb:roll-capacity';

export interface RollInstance {
  readonly instanceId: string;
  /**
   * `aws:ec2launchtemplate:version`, which EC2 puts on every instance it launches from a launch template; undefined
   * when absent (not launched from one, or not tagged yet): such an instance is left alone, never guessed old.
   */
  readonly version?: number;
  readonly launchTime: number;
  /** Its target group state (`initial`, `healthy`, `unhealthy`, `draining`); undefined when not registered. */
  readonly targetState?: string;
}

export interface RollState {
  readonly targetCapacity: number;
  /** The version the fleet launches from (its LaunchTemplateConfigs). */
  readonly fleetVersion: string;
  /** The launch template's newest version. */
  readonly latestVersion: number;
  /** The fleet's running (pending or running) instances. */
  readonly instances: readonly RollInstance[];
  /** From ROLL_CAPACITY_TAG: set while a roll is under way. */
  readonly rollCapacity?: number;
}

export type RollStep =
  | { readonly kind: 'point-fleet'; readonly version: number }
  | { readonly kind: 'begin'; readonly capacity: number }
  | { readonly kind: 'raise-capacity'; readonly capacity: number; readonly replacing: string }
  | { readonly kind: 'wait-replacement'; readonly replacing: string; readonly healthy: number; readonly needed: number }
  | { readonly kind: 'deregister'; readonly instanceId: string }
  | { readonly kind: 'wait-drain'; readonly instanceId: string }
  | { readonly kind: 'terminate'; readonly instanceId: string; readonly capacity: number }
  | { readonly kind: 'finish'; readonly capacity: number }
  | { readonly kind: 'done' };

/** Instances launched from a version older than the template's newest. */
export function outdated(state: RollState): RollInstance[] {
  return state.instances
    .filter((i) => i.version !== undefined && i.version < state.latestVersion)
    .sort((a, b) => a.launchTime - b.launchTime || a.instanceId.localeCompare(b.instanceId));
}

export function nextStep(state: RollState): RollStep {
  if (state.fleetVersion !== String(state.latestVersion)) return { kind: 'point-fleet', version: state.latestVersion };
  const old = outdated(state);
  if (old.length === 0) return state.rollCapacity === undefined ? { kind: 'done' } : { kind: 'finish', capacity: state.rollCapacity };
  if (state.rollCapacity === undefined) return { kind: 'begin', capacity: state.targetCapacity };
  const capacity = state.rollCapacity;
  // One already on its way out goes first: a roll interrupted mid-step resumes where it stopped.
  const victim = old.find((i) => i.targetState === undefined || i.targetState === 'draining' || i.targetState === 'unused') ?? old[0]!;
  if (victim.targetState === 'draining') return { kind: 'wait-drain', instanceId: victim.instanceId };
  if (victim.targetState === undefined || victim.targetState === 'unused') return { kind: 'terminate', instanceId: victim.instanceId, capacity };
  const healthy = state.instances.filter((i) => i.instanceId !== victim.instanceId && i.targetState === 'healthy').length;
  if (healthy >= capacity) return { kind: 'deregister', instanceId: victim.instanceId };
  if (state.targetCapacity < capacity + 1) return { kind: 'raise-capacity', capacity: capacity + 1, replacing: victim.instanceId };
  return { kind: 'wait-replacement', replacing: victim.instanceId, healthy, needed: capacity };
}
