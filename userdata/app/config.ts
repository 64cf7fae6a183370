import { appTimeoutsFor, DEFAULT_IDLE_TIMEOUT_SECONDS } from './keep-alive.js';

/** Settings of the instance app, read once from the environment at start-up. */
export interface AppConfig {
  readonly port: number;
  readonly host: string;
  /** Base URL of the instance metadata service, without a trailing slash. */
  readonly imdsEndpoint: string;
  readonly spotPollIntervalMs: number;
  /** Off runs the app as the naive workshop page did: no Spot watcher, so only the handler drains it. */
  readonly spotWatcher: boolean;
  readonly healthPath: string;
  /** How long SIGTERM waits for in-flight requests before closing what is left. */
  readonly drainTimeoutMs: number;
  /**
   * How long an idle keep-alive connection stays open. Must exceed the load balancer's idle timeout, so that the
   * load balancer, not the app, closes idle connections (see keep-alive.ts). Node's own default is 5 s.
   */
  readonly keepAliveTimeoutMs: number;
  /** How long a request's headers may take to arrive; above keepAliveTimeoutMs, as Node requires. */
  readonly headersTimeoutMs: number;
}

export const DEFAULT_CONFIG: AppConfig = {
  port: 8000,
  host: '0.0.0.0',
  imdsEndpoint: 'http://169.254.169.254',
  spotPollIntervalMs: 5000,
  spotWatcher: true,
  healthPath: '/health',
  // Stays below the systemd unit's TimeoutStopSec so the app, not SIGKILL, ends the drain.
  drainTimeoutMs: 25_000,
  // Above ALB's default idle timeout of 60 s; the user data sets both from the stack's idle timeout.
  ...appTimeoutsFor(DEFAULT_IDLE_TIMEOUT_SECONDS),
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

// ALB's idle timeout goes up to 4000 s; the app's timeouts sit a little above it.
const MAX_TIMEOUT_MS = 5_000_000;

type Env = Readonly<Record<string, string | undefined>>;

/** Parses the app's settings from an environment record; unset or empty variables take the defaults. */
export function parseConfig(env: Env): AppConfig {
  const keepAliveTimeoutMs = readInteger(env, 'KEEP_ALIVE_TIMEOUT_MS', DEFAULT_CONFIG.keepAliveTimeoutMs, 1, MAX_TIMEOUT_MS);
  const headersTimeoutMs = readInteger(
    env,
    'HEADERS_TIMEOUT_MS',
    Math.max(DEFAULT_CONFIG.headersTimeoutMs, keepAliveTimeoutMs + 1000),
    1,
    MAX_TIMEOUT_MS,
  );
  if (headersTimeoutMs <= keepAliveTimeoutMs) {
    throw new ConfigError(`HEADERS_TIMEOUT_MS (${headersTimeoutMs}) must be above KEEP_ALIVE_TIMEOUT_MS (${keepAliveTimeoutMs})`);
  }
  return {
    port: readInteger(env, 'PORT', DEFAULT_CONFIG.port, 1, 65_535),
    host: readHost(env),
    imdsEndpoint: readEndpoint(env),
    spotPollIntervalMs: readInteger(env, 'SPOT_POLL_INTERVAL_MS', DEFAULT_CONFIG.spotPollIntervalMs, 10, 3_600_000),
    spotWatcher: readSwitch(env, 'SPOT_WATCHER', DEFAULT_CONFIG.spotWatcher),
    healthPath: readPath(env),
    drainTimeoutMs: readInteger(env, 'DRAIN_TIMEOUT_MS', DEFAULT_CONFIG.drainTimeoutMs, 0, 3_600_000),
    keepAliveTimeoutMs,
    headersTimeoutMs,
  };
}

function present(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function readSwitch(env: Env, name: string, fallback: boolean): boolean {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError(`${name} must be "on" or "off", got ${JSON.stringify(raw)}`);
}

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) {
    throw new ConfigError(`${name} must be a whole number between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function readHost(env: Env): string {
  const raw = present(env, 'HOST');
  if (raw === undefined) return DEFAULT_CONFIG.host;
  if (/[\s/]/.test(raw)) {
    throw new ConfigError(`HOST must be an address or host name to listen on, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

function readEndpoint(env: Env): string {
  const raw = present(env, 'IMDS_ENDPOINT');
  if (raw === undefined) return DEFAULT_CONFIG.imdsEndpoint;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`IMDS_ENDPOINT must be an http:// URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' || url.search !== '' || url.hash !== '') {
    throw new ConfigError(`IMDS_ENDPOINT must be a plain http:// URL without query or fragment, got ${JSON.stringify(raw)}`);
  }
  return url.href.replace(/\/+$/, '');
}

function readPath(env: Env): string {
  const raw = present(env, 'HEALTH_PATH');
  if (raw === undefined) return DEFAULT_CONFIG.healthPath;
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(raw)) {
    throw new ConfigError(`HEALTH_PATH must be a URL path starting with "/", got ${JSON.stringify(raw)}`);
  }
  if (raw === '/') {
    throw new ConfigError('HEALTH_PATH must not be "/": that path serves the page');
  }
  return raw;
}
