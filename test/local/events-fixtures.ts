import { readFileSync } from 'node:fs';

/** The sample EC2 events shared by the project (copies of /work/shared/events). */
export function loadSampleEvent(name: 'spot-interruption-warning' | 'rebalance-recommendation' | 'instance-state-change'): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
}
