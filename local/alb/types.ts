/** ALB target states this runtime plays (`unused` and `unavailable` have no local meaning). */
export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'draining';

/** A target group's health check, with durations in milliseconds. */
export interface HealthCheckSettings {
  /** Path of the GET request, e.g. `/health`. */
  readonly path: string;
  readonly intervalMs: number;
  /** Must be below intervalMs, as on AWS. */
  readonly timeoutMs: number;
  /** Consecutive successes that make an initial or unhealthy target healthy. */
  readonly healthyThreshold: number;
  /** Consecutive failures that make an initial or healthy target unhealthy. */
  readonly unhealthyThreshold: number;
  /** Success codes as AWS writes them: `200`, `200,202` or `200-299`. */
  readonly matcher: string;
}

/** Where a target listens on this machine. */
export interface TargetEndpoint {
  readonly host: string;
  readonly port: number;
}
