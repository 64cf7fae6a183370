/**
 * The instance app's HTTP timeouts, derived from the load balancer's idle timeout.
 *
 * An ALB keeps its connections to a target open and reuses them until they have been idle for its idle timeout
 * (`idle_timeout.timeout_seconds`, 1-4000 s, 60 s by default). If the target closes an idle connection first, the
 * ALB may send a request on it before the close reaches it, and answers that request 502. AWS's advice: "configure
 * the idle timeout of your application to be larger than the idle timeout configured for the load balancer"
 * (ELB user guide, Application Load Balancers, "Edit attributes", Connection idle timeout:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout).
 * Node's `server.keepAliveTimeout` defaults to 5 s, far below; `server.headersTimeout` must stay above it.
 */

/** ALB's default idle timeout, in seconds. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 60;
/** The range ELB accepts for `idle_timeout.timeout_seconds`. */
export const IDLE_TIMEOUT_RANGE_SECONDS = { min: 1, max: 4000 } as const;

// Seconds above the idle timeout: the load balancer's close must win even when a timer fires late on a busy host.
const KEEP_ALIVE_MARGIN_MS = 5_000;
const HEADERS_MARGIN_MS = 1_000;

export interface AppTimeouts {
  /** Node's `server.keepAliveTimeout`: idle time after which the app closes a connection. */
  readonly keepAliveTimeoutMs: number;
  /** Node's `server.headersTimeout`: above keepAliveTimeoutMs. */
  readonly headersTimeoutMs: number;
}

/** The app's keep-alive and headers timeouts for a load balancer idle timeout; throws RangeError outside 1-4000 s. */
export function appTimeoutsFor(idleTimeoutSeconds: number): AppTimeouts {
  const { min, max } = IDLE_TIMEOUT_RANGE_SECONDS;
  if (!Number.isInteger(idleTimeoutSeconds) || idleTimeoutSeconds < min || idleTimeoutSeconds > max) {
    throw new RangeError(`idle timeout must be a whole number of seconds between ${min} and ${max}, got ${idleTimeoutSeconds}`);
  }
  const keepAliveTimeoutMs = idleTimeoutSeconds * 1000 + KEEP_ALIVE_MARGIN_MS;
  return { keepAliveTimeoutMs, headersTimeoutMs: keepAliveTimeoutMs + HEADERS_MARGIN_MS };
}
