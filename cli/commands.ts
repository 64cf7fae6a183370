import { createLogUpdate } from 'log-update';
import { CliError } from './errors.js';
import { readFleetSnapshot } from './fleet-snapshot.js';
import { formatFollow, formatInterruptReport } from './interrupt/format.js';
import { interrupt, type InterruptOptions } from './interrupt/run.js';
import { formatLoadProgress, formatLoadSummary } from './load/format.js';
import { runLoad } from './load/generator.js';
import { formatRollProgress, formatRollReport } from './roll/format.js';
import { roll } from './roll/run.js';
import { fitFrame, FullScreen, sleep } from './screen.js';
import { formatStatus } from './status/format.js';
import { styleFor } from './style.js';
import { resolveTarget, type Target, type TargetOptions } from './target.js';

/** Where a command writes; the real process streams, or buffers in tests. */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Ends `--watch` and live following (Ctrl-C). */
  readonly signal?: AbortSignal;
}

export interface CommonOptions extends TargetOptions {
  readonly json?: boolean;
}

const println = (stream: NodeJS.WritableStream, text: string): void => void stream.write(`${text}\n`);

async function withTarget<T>(options: TargetOptions, run: (target: Target) => Promise<T>): Promise<T> {
  const target = await resolveTarget(options);
  try {
    return await run(target);
  } finally {
    target.close();
  }
}

/**
 * A live redraw of a few lines on a terminal; nothing on a pipe (where only the final result belongs). Each
 * frame is cut to the terminal's width: a wrapped line would leave part of the previous frame behind.
 */
function liveArea(stream: Io['stderr']): { draw(text: string): void; done(): void } {
  if (!stream.isTTY) return { draw: () => undefined, done: () => undefined };
  const tty = stream as NodeJS.WriteStream;
  const update = createLogUpdate(tty);
  return { draw: (text) => update(fitFrame(text, tty.columns ?? 80, Math.max(1, (tty.rows ?? 24) - 1)).join('\n')), done: () => update.done() };
}

/** The terminal's width when `stream` is one, which a report is fitted to; undefined when piped: lines stay whole. */
function terminalColumns(stream: Io['stdout']): number | undefined {
  return stream.isTTY ? ((stream as { columns?: number }).columns ?? 80) : undefined;
}

/** `status [--watch]`. Returns the exit code. */
export async function statusCommand(options: CommonOptions & { watch?: boolean; intervalMs?: number }, io: Io): Promise<number> {
  return withTarget(options, async (target) => {
    const style = styleFor(io.stdout);
    if (!options.watch) {
      const snapshot = await readFleetSnapshot(target);
      // On a terminal, fitted to its width as --watch is (the table drops columns, long lines end in …; --json has
      // everything).
      println(io.stdout, options.json ? JSON.stringify(snapshot, null, 2) : formatStatus(snapshot, style, terminalColumns(io.stdout)));
      return 0;
    }
    const interval = options.intervalMs ?? (target.kind === 'local' ? 500 : 2000);
    const screen = io.stdout.isTTY && !options.json ? new FullScreen(io.stdout) : undefined;
    try {
      while (!io.signal?.aborted) {
        const snapshot = await readFleetSnapshot(target);
        // --json --watch: one JSON document per line, for scripts that follow the fleet.
        if (options.json) println(io.stdout, JSON.stringify(snapshot));
        else if (screen) {
          screen.draw((columns) => `${formatStatus(snapshot, style, columns)}\n${style.dim(`${snapshot.at.slice(11, 19)}Z, every ${interval / 1000} s (Ctrl-C to stop)`)}`);
        } else println(io.stdout, `${formatStatus(snapshot, style)}\n`);
        await sleep(interval, io.signal);
      }
    } finally {
      screen?.close();
    }
    return 0;
  });
}

/** `interrupt`. Exit code 1 when the interrupted instances were not all seen gone. */
export async function interruptCommand(options: CommonOptions & Omit<InterruptOptions, 'onProgress' | 'signal'>, io: Io): Promise<number> {
  return withTarget(options, async (target) => {
    const area = liveArea(io.stderr);
    const style = styleFor(io.stderr);
    let report;
    try {
      report = await interrupt(target, {
        ...options,
        signal: io.signal,
        onProgress: (snapshot, followed, startedAt) => area.draw(formatFollow(snapshot, followed, startedAt, style)),
      });
    } finally {
      area.done();
    }
    println(io.stdout, options.json ? JSON.stringify(report, null, 2) : formatInterruptReport(report, styleFor(io.stdout), terminalColumns(io.stdout)));
    return report.complete ? 0 : 1;
  });
}

/** `roll`. Exit code 1 when stopped before every instance ran the newest launch template version. */
export async function rollCommand(options: CommonOptions & { stepTimeoutMs?: number }, io: Io): Promise<number> {
  return withTarget(options, async (target) => {
    const area = liveArea(io.stderr);
    const style = styleFor(io.stderr);
    let report;
    try {
      report = await roll(target, {
        stepTimeoutMs: options.stepTimeoutMs,
        signal: io.signal,
        onProgress: (p) => (io.stderr.isTTY ? area.draw(formatRollProgress(p, style)) : undefined),
      });
    } finally {
      area.done();
    }
    println(io.stdout, options.json ? JSON.stringify(report, null, 2) : formatRollReport(report, styleFor(io.stdout)));
    return report.complete ? 0 : 1;
  });
}

/** `load`. Exit code 1 when any request failed. */
export async function loadCommand(
  options: CommonOptions & { url?: string; rate: number; durationMs: number; concurrency?: number; timeoutMs?: number },
  io: Io,
): Promise<number> {
  const url = options.url ?? (await withTarget(options, async (t) => t.facts.url));
  try {
    new URL(url);
  } catch {
    throw new CliError(`--url must be a URL such as http://127.0.0.1:8080/, got "${url}"`, 2);
  }
  const area = liveArea(io.stderr);
  const style = styleFor(io.stderr);
  let summary;
  try {
    summary = await runLoad({
      url,
      rate: options.rate,
      durationMs: options.durationMs,
      concurrency: options.concurrency ?? Math.max(8, Math.ceil(options.rate)),
      timeoutMs: options.timeoutMs,
      signal: io.signal,
      onProgress: io.stderr.isTTY ? (s) => area.draw(formatLoadProgress(s, options.durationMs, style)) : undefined,
    });
  } finally {
    area.done();
  }
  println(io.stdout, options.json ? JSON.stringify(summary, null, 2) : formatLoadSummary(summary, styleFor(io.stdout)));
  return summary.failures > 0 ? 1 : 0;
}
