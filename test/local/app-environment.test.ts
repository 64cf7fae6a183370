import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../local/clock.js';
import { localAppEnvironment } from '../../local/instances/app-environment.js';

describe('localAppEnvironment', () => {
  it('puts the app\'s durations (*_MS) on the clock, as the load balancer\'s idle timeout is, and nothing else', () => {
    const unit = { NODE_ENV: 'production', PORT: '8000', KEEP_ALIVE_TIMEOUT_MS: '65000', HEADERS_TIMEOUT_MS: '66000' };
    expect(localAppEnvironment(unit, new SimulatedClock(0.05))).toEqual({
      NODE_ENV: 'production',
      PORT: '8000',
      KEEP_ALIVE_TIMEOUT_MS: '3250',
      HEADERS_TIMEOUT_MS: '3300',
    });
    expect(localAppEnvironment(unit, new SimulatedClock(1))).toEqual(unit);
    // The idle timeout at scale 0.05 is 3000 ms: the app still closes after the load balancer does.
    expect(Number(localAppEnvironment(unit, new SimulatedClock(0.05)).KEEP_ALIVE_TIMEOUT_MS)).toBeGreaterThan(60_000 * 0.05);
  });
});
