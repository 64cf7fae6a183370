/**
 * The part of systemd's service semantics that decides whether an instance keeps its app: restart after a
 * failure, give up after too many starts, and what to do then (`FailureAction=`). Pure: the instance host feeds
 * it exits and start times. Semantics from systemd.service(5) (`Restart=`, `RestartSec=`,
 * `RestartPreventExitStatus=`) and systemd.unit(5) (`StartLimitIntervalSec=`, `StartLimitBurst=`,
 * `FailureAction=`).
 *
 * Its time spans are not scaled by the local cloud's time scale: they race the app's own start-up (a Node.js process
 * starting and crashing), which no time scale shortens, so a scaled start-limit window would never fill.
 */

export interface ServicePolicy {
  readonly restart: 'no' | 'on-failure' | 'always';
  readonly restartSec: number;
  /** Exit statuses after which the unit is not restarted, whatever `restart` says. */
  readonly restartPreventExitStatus: readonly number[];
  readonly startLimitIntervalSec: number;
  readonly startLimitBurst: number;
  /** What the system does when the unit fails for good. */
  readonly failureAction: 'none' | 'reboot' | 'poweroff' | 'exit' | 'halt';
}

/** systemd's defaults (DefaultStartLimitIntervalSec=10s, DefaultStartLimitBurst=5, RestartSec=100ms). */
const DEFAULTS: ServicePolicy = {
  restart: 'no',
  restartSec: 0.1,
  restartPreventExitStatus: [],
  startLimitIntervalSec: 10,
  startLimitBurst: 5,
  failureAction: 'none',
};

// `on-failure` does not restart after these: systemd counts them as a clean exit.
const CLEAN_SIGNALS = new Set(['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGPIPE']);

function seconds(value: string, key: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|min)?$/.exec(value.trim());
  if (!m) throw new Error(`unit ${key}=${value}: expected a time span such as 2, 2s or 500ms`);
  return Number(m[1]) * { ms: 0.001, s: 1, min: 60 }[(m[2] ?? 's') as 'ms' | 's' | 'min'];
}

/** Reads the restart and failure policy of a unit file's text; keys it does not play are ignored. */
export function parseServiceUnit(text: string): ServicePolicy {
  const keys = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) keys.set(m[1]!, m[2]!.trim());
  }
  const restart = keys.get('Restart') ?? DEFAULTS.restart;
  if (restart !== 'no' && restart !== 'on-failure' && restart !== 'always') {
    throw new Error(`unit Restart=${restart}: the local cloud plays no, on-failure and always`);
  }
  const failureAction = keys.get('FailureAction') ?? DEFAULTS.failureAction;
  if (!['none', 'reboot', 'poweroff', 'exit', 'halt'].includes(failureAction)) {
    throw new Error(`unit FailureAction=${failureAction}: the local cloud plays none, reboot, poweroff, exit and halt`);
  }
  const burst = keys.get('StartLimitBurst');
  return {
    restart,
    restartSec: keys.has('RestartSec') ? seconds(keys.get('RestartSec')!, 'RestartSec') : DEFAULTS.restartSec,
    restartPreventExitStatus: (keys.get('RestartPreventExitStatus') ?? '').split(/\s+/).filter(Boolean).map(Number),
    startLimitIntervalSec: keys.has('StartLimitIntervalSec')
      ? seconds(keys.get('StartLimitIntervalSec')!, 'StartLimitIntervalSec')
      : DEFAULTS.startLimitIntervalSec,
    startLimitBurst: burst === undefined ? DEFAULTS.startLimitBurst : Number(burst),
    failureAction: failureAction as ServicePolicy['failureAction'],
  };
}

export type AfterExit =
  | { readonly kind: 'restart'; readonly delayMs: number }
  /** The unit ended cleanly (inactive): no failure action. */
  | { readonly kind: 'inactive' }
  /** The unit failed for good: the failure action runs. */
  | { readonly kind: 'failed'; readonly result: 'exit-code' | 'signal' };

/** What systemd does when the main process exits (`code` null when a signal killed it). */
export function afterExit(policy: ServicePolicy, code: number | null, signal: string | null): AfterExit {
  const clean = code === 0 || (code === null && signal !== null && CLEAN_SIGNALS.has(signal));
  const result = code === null ? 'signal' : 'exit-code';
  if (code !== null && policy.restartPreventExitStatus.includes(code)) return clean ? { kind: 'inactive' } : { kind: 'failed', result };
  const restarts = policy.restart === 'always' || (policy.restart === 'on-failure' && !clean);
  if (restarts) return { kind: 'restart', delayMs: policy.restartSec * 1000 };
  return clean ? { kind: 'inactive' } : { kind: 'failed', result };
}

/**
 * Whether systemd refuses another start: `startLimitBurst` starts already happened within the last
 * `startLimitIntervalSec` (the unit then fails with `start-limit-hit`). `starts` are epoch ms.
 */
export function startLimitHit(policy: ServicePolicy, starts: readonly number[], now: number): boolean {
  if (policy.startLimitIntervalSec === 0 || policy.startLimitBurst === 0) return false;
  const since = now - policy.startLimitIntervalSec * 1000;
  return starts.filter((t) => t > since).length >= policy.startLimitBurst;
}
