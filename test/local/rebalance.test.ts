import { describe, expect, it } from 'vitest';
import { capacityRebalanceOf, rebalanceResponse } from '../../local/spot/rebalance.js';

describe('capacity rebalancing, as the local Spot service plays it', () => {
  it('reads the fleet configuration CloudFormation holds', () => {
    expect(capacityRebalanceOf({})).toBeUndefined();
    expect(capacityRebalanceOf({ SpotMaintenanceStrategies: { CapacityRebalance: { ReplacementStrategy: 'launch' } } })).toEqual({
      replacementStrategy: 'launch',
    });
    expect(
      capacityRebalanceOf({ SpotMaintenanceStrategies: { CapacityRebalance: { ReplacementStrategy: 'launch-before-terminate', TerminationDelay: 180 } } }),
    ).toEqual({ replacementStrategy: 'launch-before-terminate', terminationDelaySeconds: 180 });
  });

  it('refuses a launch-before-terminate without a valid delay, as AWS does', () => {
    for (const TerminationDelay of [undefined, 119, 7201, 'soon']) {
      expect(() =>
        capacityRebalanceOf({ SpotMaintenanceStrategies: { CapacityRebalance: { ReplacementStrategy: 'launch-before-terminate', TerminationDelay } } }),
      ).toThrow(/TerminationDelay of 120-7200 s/);
    }
  });

  it('replaces and later terminates with launch-before-terminate, replaces and keeps with launch, does nothing without', () => {
    expect(rebalanceResponse({ replacementStrategy: 'launch-before-terminate', terminationDelaySeconds: 180 })).toEqual({
      replace: true,
      terminateAfterMs: 180_000,
    });
    expect(rebalanceResponse({ replacementStrategy: 'launch' })).toEqual({ replace: true });
    expect(rebalanceResponse(undefined)).toEqual({ replace: false });
  });
});
