import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { FleetSnapshot, InstanceView } from '../../cli/fleet-snapshot.js';
import { fitFrame, fitLine, sleep, visibleWidth } from '../../cli/screen.js';
import { formatStatus } from '../../cli/status/format.js';
import { styleFor } from '../../cli/style.js';

const colours = styleFor({ isTTY: true });

describe('fitting a frame to the terminal', () => {
  it('cuts a line to the width, colours not counted and closed after the cut', () => {
    expect(fitLine('abcdef', 4)).toBe('abc…');
    expect(fitLine('abc', 4)).toBe('abc');
    const red = fitLine(`${colours.red('abcdef')}gh`, 4);
    expect(visibleWidth(red)).toBe(4);
    expect(red).toMatch(/\x1b\[39m…$/);
  });

  it('keeps a frame within the rows, saying how many lines were left out', () => {
    expect(fitFrame('1\n2\n3\n4', 80, 3)).toEqual(['1', '2', '… 2 more line(s): enlarge the terminal to see them']);
    expect(fitFrame('1\n2', 80, 3)).toEqual(['1', '2']);
  });
});

describe('sleep', () => {
  it('leaves no abort listener behind (100 waits on one signal: MaxListenersExceededWarning before)', async () => {
    const abort = new AbortController();
    for (let n = 0; n < 100; n++) await sleep(0, abort.signal);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
  });

  it('ends early when the signal aborts', async () => {
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 20);
    await sleep(5_000, abort.signal);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('status at a terminal width', () => {
  const instance = (id: string, over: Partial<InstanceView> = {}): InstanceView => ({
    instanceId: id, availabilityZone: 'us-east-1a', instanceType: 't3a.small', state: 'running', health: 'healthy', requests: 1234, ...over,
  });
  const snapshot: FleetSnapshot = {
    at: '2026-01-01T00:00:10.000Z',
    target: 'local',
    stackName: 'SpotWeb',
    url: 'http://127.0.0.1:8080',
    fleetRequestId: 'sfr-8a7b6c5d-1234-4321-abcd-0123456789ab',
    fleetState: 'active',
    targetCapacity: 2,
    fulfilledCapacity: 2,
    instances: [
      instance('i-0123456789abcdef0', { state: 'running', health: 'draining', drainingSecondsLeft: 4.2, reclaimAt: '2026-01-01T00:00:15.000Z' }),
      instance('i-0fedcba9876543210'),
    ],
    notifications: [{ receivedAt: '2026-01-01T00:00:09.000Z', message: `i-0123456789abcdef0 deregistered from ${'targetgroup/SpotWe-WebTa-ABCDEFGHIJKL/0123456789abcdef, '.repeat(4)}draining 120 s` }],
  };

  it.each([80, 100, 160])('fits %i columns and keeps instance, state and target health on one row', (width) => {
    const lines = formatStatus(snapshot, colours, width).split('\n');
    for (const l of lines) expect(visibleWidth(l)).toBeLessThanOrEqual(width);
    const row = lines.find((l) => l.includes('i-0123456789abcdef0') && !l.includes('deregistered'))!;
    expect(row).toMatch(/reclaim in 5\.0 s/);
    expect(row).toMatch(/draining \(4\.2 s left\)/);
    expect(lines.filter((l) => l.includes('i-0fedcba9876543210'))).toHaveLength(1);
  });

  it('keeps the bordered table with every column when the terminal is wide', () => {
    const text = formatStatus(snapshot, colours, 220);
    expect(text).toMatch(/┌/);
    expect(text).toMatch(/us-east-1a/);
    expect(text).toMatch(/requests/);
  });
});
