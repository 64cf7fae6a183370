import { describe, expect, it } from 'vitest';
import { desiredCapacity, scalingDecision, type TrackingPolicy } from '../../local/autoscaling/target-tracking.js';

const policy: TrackingPolicy = { targetValue: 100, minCapacity: 2, maxCapacity: 10, scaleOutCooldownMs: 60_000, scaleInCooldownMs: 300_000 };

describe('desiredCapacity (target tracking)', () => {
  it('holds with fewer than three datapoints above the target', () => {
    expect(desiredCapacity(policy, 2, { datapoints: [300, 300] }, 0)).toBe(2);
  });

  it('scales out proportionally after three datapoints above the target, within max', () => {
    expect(desiredCapacity(policy, 2, { datapoints: [150, 200, 300] }, 0)).toBe(6);
    expect(desiredCapacity(policy, 4, { datapoints: [1000, 1000, 1000] }, 0)).toBe(10);
  });

  it('waits out the scale-out cooldown', () => {
    expect(desiredCapacity(policy, 2, { datapoints: [300, 300, 300], lastScaleOutAt: 0 }, 30_000)).toBe(2);
    expect(desiredCapacity(policy, 2, { datapoints: [300, 300, 300], lastScaleOutAt: 0 }, 61_000)).toBe(6);
  });

  it('scales in one step only after fifteen datapoints below the target, never below min', () => {
    expect(desiredCapacity(policy, 5, { datapoints: Array(14).fill(10) }, 0)).toBe(5);
    expect(desiredCapacity(policy, 5, { datapoints: Array(15).fill(10) }, 0)).toBe(4);
    expect(desiredCapacity(policy, 2, { datapoints: Array(15).fill(0) }, 0)).toBe(2);
    expect(desiredCapacity(policy, 5, { datapoints: Array(15).fill(10), lastScaleInAt: 0 }, 100_000)).toBe(5);
  });

  it('leaves a capacity set by hand below min alone while no alarm fires', () => {
    expect(desiredCapacity(policy, 1, { datapoints: [10] }, 0)).toBe(1);
  });

  it('does not scale in while the busiest recent minute still needs the capacity', () => {
    const datapoints = [...Array(14).fill(10), 90];
    expect(desiredCapacity(policy, 5, { datapoints }, 0)).toBe(5);
  });

  it('says why it changes the capacity: the alarm, or the bound that decided the number', () => {
    // Reduced by hand to 1 (the workshop's interrupt), then any alarm brings the floor back.
    expect(scalingDecision(policy, 1, { datapoints: [150, 150, 150] }, 0)).toEqual({ capacity: 2, reason: 'below minCapacity 2' });
    expect(scalingDecision(policy, 1, { datapoints: Array(15).fill(0) }, 0)).toEqual({ capacity: 2, reason: 'below minCapacity 2' });
    expect(scalingDecision(policy, 2, { datapoints: [150, 200, 300] }, 0)).toEqual({ capacity: 6, reason: 'above the target 100 for 3 minutes' });
    expect(scalingDecision(policy, 4, { datapoints: [1000, 1000, 1000] }, 0)).toEqual({ capacity: 10, reason: 'above the target 100 for 3 minutes, capped at maxCapacity 10' });
    expect(scalingDecision(policy, 5, { datapoints: Array(15).fill(10) }, 0)).toEqual({ capacity: 4, reason: 'below the target 100 for 15 minutes' });
    expect(scalingDecision(policy, 2, { datapoints: Array(15).fill(0) }, 0)).toEqual({ capacity: 2, reason: 'no alarm' });
  });
});
