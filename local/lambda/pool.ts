import { randomUUID } from 'node:crypto';
import { InitError, startLambdaWorker, type InvokeResult, type LambdaWorker, type LambdaWorkerOptions } from './worker.js';

/** Execution environments a function gets locally unless told otherwise. */
export const DEFAULT_MAX_CONCURRENCY = 8;

export interface LambdaPoolOptions extends LambdaWorkerOptions {
  /**
   * Execution environments at most. Lambda scales a function out to one environment per concurrent invocation
   * (up to the account's or the function's concurrency limit); on a laptop a handful is the honest ceiling.
   * @default DEFAULT_MAX_CONCURRENCY (8)
   */
  readonly maxConcurrency?: number;
}

/**
 * One function's execution environments: an invocation takes an idle warm worker, or starts a new one (a cold
 * start) while fewer than `maxConcurrency` exist, or waits for one to come free.
 */
export class LambdaPool {
  private readonly workers: Array<Promise<LambdaWorker>> = [];
  private readonly idle: LambdaWorker[] = [];
  /** Invocations waiting for an environment: handed a released one, or undefined when a failed start freed a slot. */
  private readonly waiting: Array<(worker: LambdaWorker | undefined) => void> = [];
  private closed = false;
  /** Busy workers of a retiring pool, each with what to do once it is released with nothing waiting for it. */
  private readonly onLastRelease = new Map<LambdaWorker, () => void>();

  constructor(private readonly options: LambdaPoolOptions) {}

  get size(): number {
    return this.workers.length;
  }

  /**
   * Runs one invocation. A new environment whose init fails (the module throws, the runtime exits, Lambda's init
   * limit passes) fails this invocation with the init error, a function error for the caller to retry as Lambda
   * does; it does not reject.
   */
  async invoke(event: unknown): Promise<InvokeResult> {
    let acquired: { worker: LambdaWorker; fresh: boolean };
    try {
      acquired = await this.acquire();
    } catch (err) {
      if (!(err instanceof InitError)) throw err;
      this.options.onLog?.(`[local lambda ${this.options.functionName}] init failed: ${err.message}`);
      return { requestId: randomUUID(), error: err.lambdaError, durationMs: 0, coldStart: true };
    }
    const { worker, fresh } = acquired;
    try {
      const result = await worker.invoke(event);
      // A worker's start is this invocation's init phase: its cold start.
      return fresh ? { ...result, coldStart: true } : result;
    } finally {
      this.release(worker);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const settled = await Promise.allSettled(this.workers);
    await Promise.all(settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.close()] : [])));
  }

  /**
   * Takes no new invocations; each environment finishes what it runs and what already waits for one, then stops,
   * as Lambda retires the environments of a function's previous code after UpdateFunctionCode (nothing under way
   * is cut). Resolves when every environment has stopped.
   */
  async retire(): Promise<void> {
    this.closed = true;
    const started = (await Promise.allSettled(this.workers)).flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    // From here on synchronously: a worker is either idle now or released later, through onLastRelease.
    const idle = this.idle.splice(0);
    const busy = started.filter((worker) => !idle.includes(worker));
    await Promise.all([
      ...idle.map((worker) => worker.close()),
      ...busy.map((worker) => new Promise<void>((released) => this.onLastRelease.set(worker, released)).then(() => worker.close())),
    ]);
  }

  private async acquire(): Promise<{ worker: LambdaWorker; fresh: boolean }> {
    for (;;) {
      if (this.closed) throw new Error(`function ${this.options.functionName} is shut down`);
      const idle = this.idle.pop();
      if (idle) return { worker: idle, fresh: false };
      if (this.workers.length < (this.options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY)) {
        const starting = startLambdaWorker(this.options);
        this.workers.push(starting);
        try {
          return { worker: await starting, fresh: true };
        } catch (err) {
          this.workers.splice(this.workers.indexOf(starting), 1);
          // Its slot is free again: an invocation waiting for an environment starts one itself.
          this.waiting.shift()?.(undefined);
          throw err;
        }
      }
      const handed = await new Promise<LambdaWorker | undefined>((resolve) => this.waiting.push(resolve));
      if (handed) return { worker: handed, fresh: false };
    }
  }

  private release(worker: LambdaWorker): void {
    const next = this.waiting.shift();
    const retire = this.onLastRelease.get(worker);
    if (next) next(worker);
    else if (retire) {
      this.onLastRelease.delete(worker);
      retire();
    } else this.idle.push(worker);
  }
}
