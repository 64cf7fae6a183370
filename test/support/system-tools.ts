/**
 * Programs from the operating system that some tests drive (a linter, a unit verifier, a terminal
 * multiplexer), each with the Debian package that provides it. `npm test` checks them once before any test runs
 * (test/global-setup.ts): as root on Debian it installs what is missing with apt-get, otherwise it stops with one
 * line naming what to install. `.ci/run` installs them with the same list (test/support/install-tools.ts). Add an
 * entry here when a test needs another program.
 */
import { spawnSync } from 'node:child_process';

export interface SystemTool {
  /** The command the tests run, looked up on PATH. */
  readonly command: string;
  /** The Debian package that installs it. */
  readonly debianPackage: string;
  /** Packages it needs beside it that an install without recommends leaves out. @default none */
  readonly alsoInstall?: readonly string[];
  /** Which tests need it, for the message when it is missing. */
  readonly neededBy: string;
}

export const TEST_TOOLS: readonly SystemTool[] = [
  { command: 'shellcheck', debianPackage: 'shellcheck', neededBy: 'the user data lint (test/userdata/render.test.ts)' },
  { command: 'systemd-analyze', debianPackage: 'systemd', neededBy: "the instance app's unit check (test/userdata/render.test.ts)" },
  { command: 'tmux', debianPackage: 'tmux', neededBy: 'status --watch in a real terminal (test/cli/local-cloud.test.ts)' },
  // Without a font headless chromium renders the page's text as nothing measurable.
  {
    command: 'chromium',
    debianPackage: 'chromium',
    alsoInstall: ['fonts-liberation'],
    neededBy: "the console's browser test (test/console/console-browser.test.ts)",
  },
];

/** What to do about the tools: nothing, install these packages, or stop with this one-line message. */
export type ToolPlan =
  | { readonly kind: 'ready' }
  | { readonly kind: 'install'; readonly packages: readonly string[]; readonly missing: readonly SystemTool[] }
  | { readonly kind: 'fail'; readonly message: string };

export interface Machine {
  readonly onPath: (command: string) => boolean;
  /** Root may install packages; anyone else is told what to install. */
  readonly isRoot: boolean;
}

function packagesOf(tools: readonly SystemTool[]): string[] {
  return [...new Set(tools.flatMap((t) => [t.debianPackage, ...(t.alsoInstall ?? [])]))];
}

/** Pure: decides from what is on PATH and who runs the tests. */
export function planTools(tools: readonly SystemTool[], machine: Machine): ToolPlan {
  const missing = tools.filter((t) => !machine.onPath(t.command));
  if (missing.length === 0) return { kind: 'ready' };
  const packages = packagesOf(missing);
  if (machine.isRoot && machine.onPath('apt-get')) return { kind: 'install', packages, missing };
  const commands = missing.map((t) => t.command).join(', ');
  const how = machine.onPath('apt-get') ? `sudo apt-get install -y ${packages.join(' ')}` : `your system's packages for ${commands} (Debian: ${packages.join(' ')})`;
  return { kind: 'fail', message: `npm test needs ${commands}, not found on PATH: install them with ${how}, then run npm test again` };
}

export function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' }).status === 0;
}

/** An error vitest prints as its message alone: the stack of the set-up code would bury the one line that matters. */
export class MissingToolsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingToolsError';
    this.stack = `${this.name}: ${message}`;
  }
}

/**
 * Makes sure every tool is on PATH, installing the missing ones with apt-get when running as root.
 * @throws MissingToolsError naming what to install, when they are missing and cannot be installed here.
 */
export function ensureTools(tools: readonly SystemTool[], log: (line: string) => void = (l) => console.log(l)): void {
  const machine: Machine = { onPath, isRoot: process.getuid?.() === 0 };
  const plan = planTools(tools, machine);
  if (plan.kind === 'ready') return;
  if (plan.kind === 'fail') throw new MissingToolsError(plan.message);
  log(`Installing what the tests need (${plan.missing.map((t) => `${t.command} for ${t.neededBy}`).join('; ')}): apt-get install ${plan.packages.join(' ')}…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]): string | undefined => {
    const r = spawnSync('apt-get', args, { env, encoding: 'utf8' });
    return r.status === 0 ? undefined : (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').pop();
  };
  const failed = apt(['update', '-qq']) ?? apt(['install', '-y', '-qq', '--no-install-recommends', ...plan.packages]);
  const still = tools.filter((t) => !onPath(t.command));
  if (failed !== undefined || still.length > 0) {
    throw new MissingToolsError(
      `npm test needs ${still.map((t) => t.command).join(', ') || plan.packages.join(', ')}, and apt-get install ${plan.packages.join(' ')} failed (${failed ?? 'still not on PATH'}): install them, then run npm test again`,
    );
  }
}
