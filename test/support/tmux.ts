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

export interface TmuxPane {
  /** The visible screen, one string per row; a row the terminal wrapped is joined back to its line (-J). */
  screen(): Promise<string[]>;
  keys(...keys: string[]): Promise<void>;
  /** True once the pane's command has exited. */
  exited(): Promise<boolean>;
  close(): Promise<void>;
}

export async function openPane(command: string, size: { columns: number; rows: number }, env: Record<string, string> = {}): Promise<TmuxPane> {
  // The server's socket lives in the test run's temporary directory and is removed with the pane.
  const socket = join(tmpdir(), `spotweb-tmux-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  const tmux = (...args: string[]): Promise<{ stdout: string }> => run('tmux', ['-S', socket, '-f', '/dev/null', ...args]);
  const exports = Object.entries(env).map(([k, v]) => `${k}='${v.replace(/'/g, "'\\''")}'`).join(' ');
  // remain-on-exit: the pane (and what the command printed last) stays for reading after the command ends.
  await tmux('new-session', '-d', '-s', 'test', '-x', String(size.columns), '-y', String(size.rows), `env ${exports} ${command}`, ';', 'set-option', '-w', '-t', 'test', 'remain-on-exit', 'on');
  return {
    screen: async () => (await tmux('capture-pane', '-p', '-J', '-t', 'test')).stdout.replace(/\n$/, '').split('\n'),
    keys: async (...keys) => void (await tmux('send-keys', '-t', 'test', ...keys)),
    exited: async () => (await tmux('display-message', '-p', '-t', 'test', '#{pane_dead}')).stdout.trim() === '1',
    close: async () => {
      await tmux('kill-server').catch(() => undefined);
      rmSync(socket, { force: true });
    },
  };
}
