import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTANCE_NICENESS, InstanceHost } from '../../local/instances/instance-host.js';
import { bundleInstanceApp } from '../../userdata/bundle.js';

let dir: string;
let host: InstanceHost;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'instance-host-'));
  const appPath = join(dir, 'instance-app.cjs');
  writeFileSync(appPath, bundleInstanceApp());
  host = new InstanceHost({
    identity: { instanceId: 'i-0123456789abcdef0', availabilityZone: 'us-east-1a', instanceType: 't3.small', lifecycle: 'spot' },
    appPath,
    spotPollIntervalMs: 5_000,
    spotWatcher: false,
  });
  await host.start();
});

afterAll(async () => {
  await host?.stop(false);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('InstanceHost', () => {
  it('serves the instance app under its own identity', async () => {
    const { host: address, port } = host.address!;
    expect(await (await fetch(`http://${address}:${port}/`)).text()).toContain('hello from i-0123456789abcdef0');
  });

  it('runs the instance below the priority of the emulated control plane', () => {
    // Lowering a process's priority is permitted for any user on Linux and macOS; a test run that is itself
    // niced further leaves its children at least as low.
    expect(getPriority(host.pid!)).toBeGreaterThanOrEqual(INSTANCE_NICENESS);
  });
});
