import type { SimulatedClock } from '../clock.js';

/**
 * The instance app's environment for a local instance: what the user data's systemd unit sets (extractAppEnvironment),
 * with every duration (the app names them `*_MS`) in the clock's real time, as the load balancer's idle timeout is.
 * The keep-alive timeout then stays above the idle timeout by the same proportion as on AWS.
 */
export function localAppEnvironment(unitEnvironment: Readonly<Record<string, string>>, clock: SimulatedClock): Record<string, string> {
  return Object.fromEntries(
    Object.entries(unitEnvironment).map(([name, value]) =>
      name.endsWith('_MS') && /^\d+$/.test(value) ? [name, String(Math.max(1, Math.round(clock.toReal(Number(value)))))] : [name, value],
    ),
  );
}
