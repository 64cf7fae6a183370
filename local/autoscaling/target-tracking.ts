/**
 * Target tracking as Application Auto Scaling does it for `ALBRequestCountPerTarget`: one datapoint a
 * minute (requests per target in that minute), scale out after 3 datapoints above the target, scale in only
 * after 15 below it, never beyond min/max, and not while a cooldown from the previous action runs. Pure.
 */

export interface TrackingPolicy {
  readonly targetValue: number;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly scaleOutCooldownMs: number;
  readonly scaleInCooldownMs: number;
}

export interface TrackingState {
  /** Requests per target, one a minute, newest last. */
  readonly datapoints: readonly number[];
  readonly lastScaleOutAt?: number;
  readonly lastScaleInAt?: number;
}

export const SCALE_OUT_DATAPOINTS = 3;
export const SCALE_IN_DATAPOINTS = 15;

export function desiredCapacity(policy: TrackingPolicy, current: number, state: TrackingState, now: number): number {
  return scalingDecision(policy, current, state, now).capacity;
}

/** A capacity change and why, in the words a user reads in the log: "below minCapacity 2". */
export interface ScalingDecision {
  readonly capacity: number;
  readonly reason: string;
}

/** `desiredCapacity`, with the reason: the alarm that fired, or the min/max bound that decided the number. */
export function scalingDecision(policy: TrackingPolicy, current: number, state: TrackingState, now: number): ScalingDecision {
  const { datapoints } = state;
  const latest = datapoints.at(-1);
  const stay = { capacity: current, reason: 'no alarm' };
  if (latest === undefined) return stay;
  const clamp = (n: number, alarm: string): ScalingDecision => {
    if (n < policy.minCapacity) return { capacity: policy.minCapacity, reason: `${alarm}, but ${n} is below minCapacity ${policy.minCapacity}` };
    if (n > policy.maxCapacity) return { capacity: policy.maxCapacity, reason: `${alarm}, capped at maxCapacity ${policy.maxCapacity}` };
    return { capacity: n, reason: alarm };
  };
  const recent = (n: number): readonly number[] => (datapoints.length >= n ? datapoints.slice(-n) : []);
  const proportional = Math.ceil((Math.max(current, 1) * latest) / policy.targetValue);

  const outWindow = recent(SCALE_OUT_DATAPOINTS);
  if (outWindow.length > 0 && outWindow.every((d) => d > policy.targetValue)) {
    const coolingDown = state.lastScaleOutAt !== undefined && now - state.lastScaleOutAt < policy.scaleOutCooldownMs;
    if (!coolingDown) {
      const wanted = Math.max(proportional, current + 1);
      // A fleet reduced by hand below the floor comes back to it on the next alarm: say so, not "above target".
      if (current < policy.minCapacity && wanted <= policy.minCapacity) return { capacity: policy.minCapacity, reason: `below minCapacity ${policy.minCapacity}` };
      return clamp(wanted, `above the target ${policy.targetValue} for ${SCALE_OUT_DATAPOINTS} minutes`);
    }
  }
  const inWindow = recent(SCALE_IN_DATAPOINTS);
  if (inWindow.length > 0 && inWindow.every((d) => d < policy.targetValue)) {
    const cooling =
      (state.lastScaleInAt !== undefined && now - state.lastScaleInAt < policy.scaleInCooldownMs) ||
      (state.lastScaleOutAt !== undefined && now - state.lastScaleOutAt < policy.scaleOutCooldownMs);
    // Scale in gently: one step at a time, and only as far as the busiest recent minute allows.
    const peak = Math.max(...inWindow);
    const room = Math.ceil((Math.max(current, 1) * peak) / policy.targetValue);
    if (!cooling && room < current) {
      if (current <= policy.minCapacity) {
        return current < policy.minCapacity ? { capacity: policy.minCapacity, reason: `below minCapacity ${policy.minCapacity}` } : stay;
      }
      return clamp(current - 1, `below the target ${policy.targetValue} for ${SCALE_IN_DATAPOINTS} minutes`);
    }
  }
  // No alarm fired: a capacity set by hand outside min..max stays, as with Application Auto Scaling.
  return stay;
}
