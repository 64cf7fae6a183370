import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../local/clock.js';
import { withRealTime } from '../../local/time-scale-text.js';

describe('withRealTime', () => {
  it('puts the real time beside each simulated duration', () => {
    expect(withRealTime('i-0abc deregistered from tg/web, draining 120 s', new SimulatedClock(0.05))).toBe(
      'i-0abc deregistered from tg/web, draining 120 s (simulated; 6 s real time at time scale 0.05)',
    );
    expect(withRealTime('reclaimed in 20 s', new SimulatedClock(0.1))).toBe('reclaimed in 20 s (simulated; 2 s real time at time scale 0.1)');
  });

  it('leaves real time and text without durations alone', () => {
    expect(withRealTime('draining 120 s', new SimulatedClock(1))).toBe('draining 120 s');
    expect(withRealTime('instance i-0abc is gone (3 targets)', new SimulatedClock(0.05))).toBe('instance i-0abc is gone (3 targets)');
  });
});
