import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../../harness/wait-for.js';
import { probePort } from '../../../local/ports.js';

export interface LogLine {
  readonly time: string;
  readonly event: string;
  readonly [field: string]: unknown;
}

/** The instance app bundle running as `node app.js`, the way systemd and the local cloud run it. */
export interface AppProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Every JSON line the app wrote to stdout so far. */
  readonly lines: LogLine[];
  /** Anything on stdout that was not a JSON line, and all of stderr. */
  readonly stray: string[];
  waitForEvent(event: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited(): Promise<number | string>;
  kill(): Promise<void>;
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return probePort(0, '127.0.0.1');
}

export async function startApp(bundle: string, env: Record<string, string>): Promise<AppProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'spotweb-app-'));
  const file = join(dir, 'app.js');
  writeFileSync(file, bundle);
  const port = await freePort();
  const child = spawn(process.execPath, [file], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const stray: string[] = [];
  let pending = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const text of complete) {
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        stray.push(text);
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => stray.push(chunk));
  const exit = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      resolve(code ?? signal ?? 'unknown');
    });
  });

  const app: AppProcess = {
    url: `http://127.0.0.1:${port}`,
    child,
    lines,
    stray,
    waitForEvent: (event, timeoutMs) =>
      waitFor(`log event "${event}" (stray output: ${stray.join(' | ')})`, () => lines.find((line) => line.event === event), timeoutMs),
    exited: () => exit,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
  };
  await Promise.race([
    app.waitForEvent('started'),
    exit.then((code) => {
      throw new Error(`app exited with ${code} before starting: ${stray.join(' | ')} ${JSON.stringify(lines)}`);
    }),
  ]);
  return app;
}
