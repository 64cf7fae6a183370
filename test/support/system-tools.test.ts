import { describe, expect, it } from 'vitest';
import { MissingToolsError, planTools, TEST_TOOLS, type SystemTool } from './system-tools.js';

const tools: SystemTool[] = [
  { command: 'shellcheck', debianPackage: 'shellcheck', neededBy: 'a' },
  { command: 'systemd-analyze', debianPackage: 'systemd', neededBy: 'b' },
  { command: 'chromium', debianPackage: 'chromium', neededBy: 'c' },
];
const machine = (present: string[], isRoot: boolean) => ({ onPath: (c: string) => present.includes(c), isRoot });

describe('the system programs the tests need', () => {
  it('does nothing when every one is on PATH', () => {
    expect(planTools(tools, machine(['shellcheck', 'systemd-analyze', 'chromium'], false))).toEqual({ kind: 'ready' });
  });

  it('installs the missing ones (their Debian packages) as root with apt-get', () => {
    const plan = planTools(tools, machine(['apt-get', 'chromium'], true));
    expect(plan).toMatchObject({ kind: 'install', packages: ['shellcheck', 'systemd'] });
  });

  it("installs a tool's companion packages with it, and only then", () => {
    const withFonts: SystemTool[] = [{ command: 'chromium', debianPackage: 'chromium', alsoInstall: ['fonts-liberation'], neededBy: 'c' }];
    expect(planTools(withFonts, machine(['apt-get'], true))).toMatchObject({ kind: 'install', packages: ['chromium', 'fonts-liberation'] });
    expect(planTools(withFonts, machine(['apt-get', 'chromium'], true))).toEqual({ kind: 'ready' });
  });

  it('otherwise stops with one line naming what to install', () => {
    const plan = planTools(tools, machine(['apt-get', 'systemd-analyze'], false));
    expect(plan).toEqual({
      kind: 'fail',
      message: 'npm test needs shellcheck, chromium, not found on PATH: install them with sudo apt-get install -y shellcheck chromium, then run npm test again',
    });
    expect(planTools(tools, machine([], true))).toMatchObject({ kind: 'fail', message: expect.stringMatching(/\(Debian: shellcheck systemd chromium\)/) });
  });

  it('prints as its message alone (no stack of the set-up code)', () => {
    expect(new MissingToolsError('npm test needs x').stack).toBe('MissingToolsError: npm test needs x');
  });

  it('lists what the suite drives, each with its package', () => {
    expect(TEST_TOOLS.map((t) => `${t.command}:${t.debianPackage}`)).toEqual(['shellcheck:shellcheck', 'systemd-analyze:systemd', 'tmux:tmux', 'chromium:chromium']);
  });
});
