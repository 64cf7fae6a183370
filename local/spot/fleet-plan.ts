/**
 * What the Spot service does to a `maintain` fleet when its target capacity and its running instances
 * disagree: launch into the least-used pools (diversified), or pick instances to reclaim so the remaining
 * ones stay spread over pools. Pure: the emulator feeds it what it read from moto.
 */

export interface PooledInstance {
  readonly id: string;
  /** The capacity pool: instance type and subnet. */
  readonly pool: string;
  readonly launchTime: number;
}

export interface FleetPlan {
  /** One entry per instance to launch, naming its pool. */
  readonly launch: readonly string[];
  /** Instance ids to warn and then terminate. */
  readonly reclaim: readonly string[];
}

export function poolOf(instanceType: string, subnetId: string): string {
  return `${instanceType}@${subnetId}`;
}

function countByPool(pools: readonly string[], active: readonly PooledInstance[]): Map<string, number> {
  const counts = new Map(pools.map((p) => [p, 0]));
  for (const i of active) counts.set(i.pool, (counts.get(i.pool) ?? 0) + 1);
  return counts;
}

export function planFleet(input: {
  readonly targetCapacity: number;
  /** Running instances that are not already being reclaimed. */
  readonly active: readonly PooledInstance[];
  /** Pools in the order of the fleet's launch specifications. */
  readonly pools: readonly string[];
  /** With `noTermination`, excess instances are left running, as on AWS. */
  readonly excessCapacityTerminationPolicy: 'default' | 'noTermination';
}): FleetPlan {
  const { targetCapacity, active, pools } = input;
  if (pools.length === 0) throw new Error('the fleet has no launch specifications');
  const counts = countByPool(pools, active);
  const launch: string[] = [];
  for (let n = active.length; n < targetCapacity; n++) {
    // Least-used pool first; ties go to the earlier specification, as moto's round robin does.
    const pool = pools.reduce((best, p) => ((counts.get(p) ?? 0) < (counts.get(best) ?? 0) ? p : best), pools[0]!);
    counts.set(pool, (counts.get(pool) ?? 0) + 1);
    launch.push(pool);
  }
  const reclaim: string[] = [];
  if (input.excessCapacityTerminationPolicy === 'default') {
    const remaining = [...active].sort((a, b) => a.launchTime - b.launchTime || a.id.localeCompare(b.id));
    for (let n = active.length; n > targetCapacity; n--) {
      // Take from the most-used pool so the survivors stay diversified; oldest first within it.
      const busiest = [...counts.entries()].reduce((best, e) => (e[1] > best[1] ? e : best));
      const victim = remaining.find((i) => i.pool === busiest[0] && !reclaim.includes(i.id))!;
      reclaim.push(victim.id);
      counts.set(busiest[0], busiest[1] - 1);
    }
  }
  return { launch, reclaim };
}
