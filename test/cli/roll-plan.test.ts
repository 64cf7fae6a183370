import { describe, expect, it } from 'vitest';
import { nextStep, type RollInstance, type RollState } from '../../cli/roll/plan.js';

const inst = (instanceId: string, version: number | undefined, targetState: string | undefined, launchTime = 0): RollInstance => ({
  instanceId,
  version,
  targetState,
  launchTime,
});

const state = (over: Partial<RollState>): RollState => ({ targetCapacity: 2, fleetVersion: '2', latestVersion: 2, instances: [], ...over });

describe('roll plan, from AWS state alone', () => {
  it('points the fleet at the newest version first', () => {
    expect(nextStep(state({ fleetVersion: '1' }))).toEqual({ kind: 'point-fleet', version: 2 });
  });

  it('is done when every instance runs the newest version and no roll is marked', () => {
    expect(nextStep(state({ instances: [inst('a', 2, 'healthy'), inst('b', 2, 'healthy')] }))).toEqual({ kind: 'done' });
  });

  it('marks the capacity to keep before touching anything', () => {
    expect(nextStep(state({ instances: [inst('a', 1, 'healthy'), inst('b', 1, 'healthy')] }))).toEqual({ kind: 'begin', capacity: 2 });
  });

  it('launches a replacement first, waits for it to be healthy, then deregisters the oldest', () => {
    const old = [inst('a', 1, 'healthy', 1), inst('b', 1, 'healthy', 2)];
    expect(nextStep(state({ rollCapacity: 2, instances: old }))).toEqual({ kind: 'raise-capacity', capacity: 3, replacing: 'a' });
    const booting = [...old, inst('c', 2, 'initial', 3)];
    expect(nextStep(state({ rollCapacity: 2, targetCapacity: 3, instances: booting }))).toEqual({
      kind: 'wait-replacement',
      replacing: 'a',
      healthy: 1,
      needed: 2,
    });
    const ready = [...old, inst('c', 2, 'healthy', 3)];
    expect(nextStep(state({ rollCapacity: 2, targetCapacity: 3, instances: ready }))).toEqual({ kind: 'deregister', instanceId: 'a' });
  });

  it('resumes an interrupted roll where AWS shows it: a draining instance waits, a drained one is terminated at the kept capacity', () => {
    const draining = [inst('a', 1, 'healthy', 1), inst('b', 1, 'draining', 2), inst('c', 2, 'healthy', 3)];
    expect(nextStep(state({ rollCapacity: 2, targetCapacity: 3, instances: draining }))).toEqual({ kind: 'wait-drain', instanceId: 'b' });
    const drained = [inst('a', 1, 'healthy', 1), inst('b', 1, undefined, 2), inst('c', 2, 'healthy', 3)];
    expect(nextStep(state({ rollCapacity: 2, targetCapacity: 3, instances: drained }))).toEqual({ kind: 'terminate', instanceId: 'b', capacity: 2 });
  });

  it('never deregisters while fewer than the kept capacity of other targets are healthy', () => {
    const flaky = [inst('a', 1, 'healthy', 1), inst('b', 2, 'unhealthy', 2), inst('c', 2, 'healthy', 3)];
    expect(nextStep(state({ rollCapacity: 2, targetCapacity: 3, instances: flaky })).kind).toBe('wait-replacement');
  });

  it('leaves an instance without a launch template version alone (one being launched is not a drained one), and finishes by clearing the mark', () => {
    expect(nextStep(state({ rollCapacity: 2, targetCapacity: 3, instances: [inst('a', 1, 'healthy'), inst('b', 2, 'healthy'), inst('n', undefined, undefined)] }))).toEqual({
      kind: 'wait-replacement',
      replacing: 'a',
      healthy: 1,
      needed: 2,
    });
    expect(nextStep(state({ rollCapacity: 2, instances: [inst('b', 2, 'healthy'), inst('c', 2, 'healthy')] }))).toEqual({ kind: 'finish', capacity: 2 });
  });
});
