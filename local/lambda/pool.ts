import { startLambdaWorker, type InvokeResult, type LambdaWorker, type LambdaWorkerOptions } from './worker.js';

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
  private readonly waiting: Array<(worker: LambdaWorker) => void> = [];
  private closed = false;

  constructor(private readonly options: LambdaPoolOptions) {}

  get size(): number {
    return this.workers.length;
  }

  async invoke(event: unknown): Promise<InvokeResult> {
    const { worker, fresh } = await this.acquire();
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

  private async acquire(): Promise<{ worker: LambdaWorker; fresh: boolean }> {
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
        throw err;
      }
    }
    return new Promise((resolve) => this.waiting.push((worker) => resolve({ worker, fresh: false })));
  }

  private release(worker: LambdaWorker): void {
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idle.push(worker);
  }
}
