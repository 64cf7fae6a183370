import { describe, expect, it } from 'vitest';
import { classifyMembership } from '../../handlers/interruption/target-state.js';

const ID = 'i-1234567890abcdef0';

describe('classifyMembership', () => {
  it('calls a healthy target registered, keeping its port', () => {
    expect(
      classifyMembership(ID, [{ Target: { Id: ID, Port: 8080 }, TargetHealth: { State: 'healthy' } }]),
    ).toEqual({ kind: 'registered', targets: [{ Id: ID, Port: 8080 }] });
  });

  it('keeps every live registration of an instance registered on several ports', () => {
    expect(
      classifyMembership(ID, [
        { Target: { Id: ID, Port: 80 }, TargetHealth: { State: 'initial' } },
        { Target: { Id: ID, Port: 81 }, TargetHealth: { State: 'draining' } },
        { Target: { Id: ID, Port: 82 }, TargetHealth: { State: 'unhealthy' } },
      ]),
    ).toEqual({ kind: 'registered', targets: [{ Id: ID, Port: 80 }, { Id: ID, Port: 82 }] });
  });

  it('calls a stopped instance (unused, Target.InvalidState) still registered', () => {
    expect(
      classifyMembership(ID, [{ Target: { Id: ID }, TargetHealth: { State: 'unused', Reason: 'Target.InvalidState' } }]),
    ).toEqual({ kind: 'registered', targets: [{ Id: ID }] });
  });

  it('recognises a target that is already draining', () => {
    expect(
      classifyMembership(ID, [
        { Target: { Id: ID, Port: 80 }, TargetHealth: { State: 'draining', Reason: 'Target.DeregistrationInProgress' } },
      ]),
    ).toEqual({ kind: 'draining' });
  });

  it.each([
    ['unused', [{ Target: { Id: ID, Port: 80 }, TargetHealth: { State: 'unused' as const, Reason: 'Target.NotRegistered' as const } }]],
    ['no description at all', []],
  ])('calls %s not registered', (_name, descriptions) => {
    expect(classifyMembership(ID, descriptions)).toEqual({ kind: 'not-registered' });
  });
});
