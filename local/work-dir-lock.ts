/**
 * One local cloud per work directory: a second `npm start` in the same checkout would overwrite the first one's
 * state file and assembly, and stopping either would leave the CLI saying the other is not running.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from './contract.js';
import { LocalSetupError } from './preflight.js';

export const LOCK_FILE = 'lock.json';

interface LockContent {
  readonly pid: number;
  /** The load balancer's port: asked for until it listens, then the real one. */
  readonly port: number;
  readonly url?: string;
}

export class LocalCloudRunningError extends LocalSetupError {
  constructor(workDir: string, holder: LockContent, lockFile: string) {
    super(
      `a local cloud is already running from ${workDir} (pid ${holder.pid}, load balancer ${holder.url ?? `port ${holder.port}`}): ` +
        `use that one, or stop it (Ctrl-C in its terminal, or kill ${holder.pid}) and run npm start again` +
        ` (if pid ${holder.pid} is not a local cloud, delete ${lockFile})`,
    );
    this.name = 'LocalCloudRunningError';
  }
}

function read(file: string): LockContent | undefined {
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockContent>;
    return typeof c.pid === 'number' && typeof c.port === 'number' ? (c as LockContent) : undefined;
  } catch {
    return undefined;
  }
}

export interface WorkDirLock {
  /** Records where the load balancer listens, for the message a second start gets. */
  update(port: number, url: string): void;
  release(): void;
}

/**
 * Takes the work directory for this process (the lock file is created exclusively, so two starts at the same
 * moment cannot both win). A lock left by a process that has exited is taken over.
 * @throws LocalCloudRunningError naming the running local cloud's pid and port.
 */
export function lockWorkDir(workDir: string, port: number): WorkDirLock {
  const file = join(workDir, LOCK_FILE);
  const write = (content: LockContent, flag: 'wx' | 'w'): void => writeFileSync(file, `${JSON.stringify(content)}\n`, { flag, mode: 0o600 });
  for (let attempt = 0; ; attempt++) {
    try {
      write({ pid: process.pid, port }, 'wx');
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = read(file);
      if (holder && processAlive(holder.pid)) throw new LocalCloudRunningError(workDir, holder, file);
      // Left by a local cloud that was killed (or half written): it runs no more.
      rmSync(file, { force: true });
    }
  }
  let held = true;
  return {
    update: (realPort, url) => held && write({ pid: process.pid, port: realPort, url }, 'w'),
    release: () => {
      if (held && read(file)?.pid === process.pid) rmSync(file, { force: true });
      held = false;
    },
  };
}
