// LocalCloudOptions.lambdaConcurrency reaches the functions' execution environments: with one environment, three
// warnings delivered at once run one after another in it (one cold start); with the default 8 the same burst starts
// at least two environments at once (one per core), which is what this test tells apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { interruptionWarning } from '../../harness/ec2-events.js';
import { waitFor } from '../../harness/wait-for.js';

describe('lambdaConcurrency (local cloud)', () => {
  let cloud: LocalCloud;
  const reports: string[] = [];

  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      // 0.2: the function's 60 s timeout lasts 12 s, so one environment's cold start on a loaded machine cannot time
      // an invocation out (a retry would add a REPORT line and a second init).
      timeScale: 0.2,
      spotWatcher: false,
      lambdaConcurrency: 1,
      workDir: '.local-cloud/e2e-lambda-concurrency',
      context: { requestsPerTarget: '1000000' },
      verboseLog: (line) => {
        if (/\bREPORT RequestId: /.test(line)) reports.push(line);
      },
    });
  }, 90_000);
  afterAll(async () => {
    await cloud?.close();
  });

  it('runs a burst of three warnings in its one execution environment: one cold start, three invocations', async () => {
    // Instances in none of the target groups: the handler finds them not registered and leaves the fleet alone.
    const events = ['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c'].map((id) => interruptionWarning(id));
    await Promise.all(events.map((e) => cloud.publish(e)));
    const ids = new Set(events.map((e) => e.id));
    await waitFor('three invocations ended', () => cloud.invocations.filter((i) => i.eventId !== undefined && ids.has(i.eventId)).length === 3, 30_000);
    expect(cloud.invocations.filter((i) => i.eventId !== undefined && ids.has(i.eventId)).map((i) => i.outcome.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    await waitFor('three REPORT lines', () => reports.length >= 3, 5_000);
    expect(reports).toHaveLength(3);
    expect(reports.filter((r) => /Init Duration: /.test(r))).toHaveLength(1);
  }, 60_000);
});
