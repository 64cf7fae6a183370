/** Why a health check failed, in ELB's reason codes. */
export type ProbeFailure = 'Target.ResponseCodeMismatch' | 'Target.Timeout' | 'Target.FailedHealthChecks';

export type ProbeResult = { readonly ok: true } | { readonly ok: false; readonly reason: ProbeFailure; readonly description: string };

/** A registered (not draining) target's health as its checks have counted it so far. */
export interface HealthTally {
  readonly state: 'initial' | 'healthy' | 'unhealthy';
  /** ELB reason code; absent when healthy. */
  readonly reason?: string;
  readonly description?: string;
  readonly successes: number;
  readonly failures: number;
}

export interface Thresholds {
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export const INITIAL_HEALTH: HealthTally = {
  state: 'initial',
  reason: 'Elb.InitialHealthChecking',
  description: 'Initial health checks in progress',
  successes: 0,
  failures: 0,
};

/**
 * Counts one health check result. Consecutive runs decide, as on ALB: `healthyThreshold` successes in a
 * row make an initial or unhealthy target healthy, `unhealthyThreshold` failures in a row make an initial
 * or healthy target unhealthy; anything shorter leaves the state as it was.
 */
export function applyProbe(tally: HealthTally, result: ProbeResult, thresholds: Thresholds): HealthTally {
  if (result.ok) {
    const successes = tally.successes + 1;
    if (tally.state !== 'healthy' && successes >= thresholds.healthyThreshold) {
      return { state: 'healthy', successes, failures: 0 };
    }
    return { ...tally, successes, failures: 0 };
  }
  const failures = tally.failures + 1;
  if (tally.state === 'unhealthy' || failures >= thresholds.unhealthyThreshold) {
    return { state: 'unhealthy', reason: result.reason, description: result.description, successes: 0, failures };
  }
  return { ...tally, successes: 0, failures };
}
