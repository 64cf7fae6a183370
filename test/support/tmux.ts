/**
 * A real pseudo-terminal for terminal output tests: a private tmux server (its own socket, so nothing else's
 * sessions are touched) running one command in a pane of a chosen size, read back as the screen shows it.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SETTLE_MS = 40;
const SETTLE_ATTEMPTS = 10;

export interface TmuxPane {
  /**
   * The visible screen once it has settled, one string per row; a row the terminal wrapped is joined back to its line
   * (-J). tmux takes a program's output in chunks, so one capture can land inside a frame being drawn (half a row
   * rewritten); two captures 40 ms apart that agree are taken as the screen between frames. A program stalled for
   * longer mid-frame could still be read half drawn, and after 10 tries the last capture is returned as it is. Stale
   * rows left by an earlier frame stay on the screen, so settling never hides them.
   */
  screen(): Promise<string[]>;
  keys(...keys: string[]): Promise<void>;
  /** True once the pane's command has exited. */
  exited(): Promise<boolean>;
  close(): Promise<void>;
}

/** `cwd`: the directory the command starts in. @default this process's */
export async function openPane(
  command: string,
  size: { columns: number; rows: number },
  env: Record<string, string> = {},
  options: { readonly cwd?: string } = {},
): Promise<TmuxPane> {
  // The server's socket lives in the test run's temporary directory and is removed with the pane.
  const socket = join(tmpdir(), `spotweb-tmux-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  const tmux = (...args: string[]): Promise<{ stdout: string }> => run('tmux', ['-S', socket, '-f', '/dev/null', ...args]);
  const exports = Object.entries(env).map(([k, v]) => `${k}='${v.replace(/'/g, "'\\''")}'`).join(' ');
  // remain-on-exit: the pane (and what the command printed last) stays for reading after the command ends.
  const cwd = options.cwd ? ['-c', options.cwd] : [];
  await tmux('new-session', '-d', '-s', 'test', ...cwd, '-x', String(size.columns), '-y', String(size.rows), `env ${exports} ${command}`, ';', 'set-option', '-w', '-t', 'test', 'remain-on-exit', 'on');
  const capture = async (): Promise<string> => (await tmux('capture-pane', '-p', '-J', '-t', 'test')).stdout.replace(/\n$/, '');
  return {
    screen: async () => {
      let last = await capture();
      // A screen that never settles (output without pause) is returned as last seen, for the assertions to judge.
      for (let attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        const next = await capture();
        if (next === last) break;
        last = next;
      }
      return last.split('\n');
    },
    keys: async (...keys) => void (await tmux('send-keys', '-t', 'test', ...keys)),
    exited: async () => (await tmux('display-message', '-p', '-t', 'test', '#{pane_dead}')).stdout.trim() === '1',
    close: async () => {
      await tmux('kill-server').catch(() => undefined);
      rmSync(socket, { force: true });
    },
  };
}
