/**
 * Durations in AWS's words (a notification's "draining 120 s") are simulated time when the local cloud runs
 * compressed; a user watching the terminal needs the real time beside them. Pure.
 */

import type { SimulatedClock } from './clock.js';

const SECONDS = /\b(\d+(?:\.\d+)?) s\b/g;

function seconds(n: number): string {
  return n >= 10 ? String(Math.round(n)) : String(Math.round(n * 10) / 10);
}

/**
 * Adds the real time after each "<n> s" in `text`: `draining 120 s` → `draining 120 s (simulated; 6 s real time
 * at time scale 0.05)`. Unchanged in real time (time scale 1).
 */
export function withRealTime(text: string, clock: SimulatedClock): string {
  if (clock.scale === 1) return text;
  return text.replace(SECONDS, (match, n: string) => `${match} (simulated; ${seconds(clock.toReal(Number(n) * 1000) / 1000)} s real time at time scale ${clock.scale})`);
}
