import { describe, expect, it } from 'vitest';
import { afterExit, parseServiceUnit, startLimitHit } from '../../local/instances/service-unit.js';
import { extractServiceUnit, renderUserData } from '../../userdata/render.js';

describe('systemd service policy, as the local instances play it', () => {
  const unit = extractServiceUnit(renderUserData({ appPort: 8000, appBundle: 'console.log(1)' }));
  const policy = parseServiceUnit(unit);

  it('reads the policy the user data installs', () => {
    expect(policy).toEqual({
      restart: 'on-failure',
      restartSec: 2,
      restartPreventExitStatus: [78],
      startLimitIntervalSec: 60,
      startLimitBurst: 5,
      failureAction: 'poweroff',
    });
  });

  it('restarts a crash, a kill and a non-zero exit; not a clean exit or SIGTERM', () => {
    expect(afterExit(policy, 1, null)).toEqual({ kind: 'restart', delayMs: 2000 });
    expect(afterExit(policy, null, 'SIGKILL')).toEqual({ kind: 'restart', delayMs: 2000 });
    expect(afterExit(policy, null, 'SIGSEGV')).toEqual({ kind: 'restart', delayMs: 2000 });
    expect(afterExit(policy, 0, null)).toEqual({ kind: 'inactive' });
    expect(afterExit(policy, null, 'SIGTERM')).toEqual({ kind: 'inactive' });
  });

  it('fails at once on an exit status restarting cannot fix (EX_CONFIG)', () => {
    expect(afterExit(policy, 78, null)).toEqual({ kind: 'failed', result: 'exit-code' });
  });

  it('gives up after the burst of starts within the interval, and forgets starts older than it', () => {
    const now = 100_000;
    const four = [now - 8000, now - 6000, now - 4000, now - 2000];
    expect(startLimitHit(policy, four, now)).toBe(false);
    expect(startLimitHit(policy, [now - 10_000, ...four], now)).toBe(true);
    expect(startLimitHit(policy, [now - 61_000, ...four], now)).toBe(false);
  });

  it('refuses what it does not play rather than guess', () => {
    expect(() => parseServiceUnit('Restart=on-abnormal')).toThrow(/plays no, on-failure and always/);
    expect(() => parseServiceUnit('RestartSec=soon')).toThrow(/RestartSec=soon/);
    expect(parseServiceUnit('[Service]\nExecStart=/bin/true')).toMatchObject({ restart: 'no', failureAction: 'none' });
  });
});
