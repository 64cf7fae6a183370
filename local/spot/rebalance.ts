/**
 * Spot Fleet capacity rebalancing as AWS documents it (EC2 API reference, `SpotCapacityRebalance`; EC2 user guide,
 * "Capacity rebalancing"): on an "EC2 Instance Rebalance Recommendation" for a fleet instance, a `maintain` fleet
 * launches a replacement; with `launch-before-terminate` it terminates the old instance `TerminationDelay` seconds
 * after launching the replacement, with `launch` it never does ("Spot Fleet does not terminate the instances that
 * receive a rebalance notification. You can terminate the old instances, or you can leave them running."). Without
 * capacity rebalancing the fleet does nothing on a recommendation. Pure: the emulator acts on what this decides.
 */

export interface CapacityRebalance {
  readonly replacementStrategy: 'launch' | 'launch-before-terminate';
  /** Only with `launch-before-terminate`: 120-7200 s. */
  readonly terminationDelaySeconds?: number;
}

/** The fleet's capacity rebalancing from its `SpotFleetRequestConfigData` (CloudFormation or API shape). */
export function capacityRebalanceOf(config: { readonly SpotMaintenanceStrategies?: unknown }): CapacityRebalance | undefined {
  const strategies = config.SpotMaintenanceStrategies as { CapacityRebalance?: { ReplacementStrategy?: string; TerminationDelay?: number | string } } | undefined;
  const rebalance = strategies?.CapacityRebalance;
  if (!rebalance) return undefined;
  const strategy = rebalance.ReplacementStrategy ?? 'launch';
  if (strategy === 'launch') return { replacementStrategy: 'launch' };
  if (strategy !== 'launch-before-terminate') throw new Error(`unknown capacity rebalancing ReplacementStrategy ${JSON.stringify(strategy)}`);
  const delay = Number(rebalance.TerminationDelay);
  // AWS: "Required when ReplacementStrategy is set to launch-before-terminate"; 120 to 7200 seconds.
  if (!Number.isInteger(delay) || delay < 120 || delay > 7200) {
    throw new Error(`launch-before-terminate needs a TerminationDelay of 120-7200 s, got ${JSON.stringify(rebalance.TerminationDelay)}`);
  }
  return { replacementStrategy: 'launch-before-terminate', terminationDelaySeconds: delay };
}

export type RebalanceResponse =
  /** No capacity rebalancing: the instance stays, counted in the fleet. */
  | { readonly replace: false }
  /**
   * A replacement is launched; the old instance is no longer counted, and is terminated `terminateAfterMs` (AWS time)
   * after the replacement's launch, if set.
   */
  | { readonly replace: true; readonly terminateAfterMs?: number };

/** What the fleet does for one recommendation. */
export function rebalanceResponse(rebalance: CapacityRebalance | undefined): RebalanceResponse {
  if (!rebalance) return { replace: false };
  if (rebalance.replacementStrategy === 'launch') return { replace: true };
  return { replace: true, terminateAfterMs: rebalance.terminationDelaySeconds! * 1000 };
}
