import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
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
  /**
   * Environments in their init phase at once. Lambda scales a function by up to 1,000 environments every 10 s
   * ("Lambda scaling behavior", https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html), each init on
   * hardware of its own, so a burst's cold starts run side by side, each about as long as one alone. Here they
   * share this machine's cores: eight inits at once on two cores each took three times as long as one alone
   * (bench/interruption.ts, mass case) and no environment was ready before all of them nearly were. So no more
   * inits run at once than there are cores; an invocation waiting for an environment takes whichever comes first,
   * an init slot (a cold start of its own) or an environment released by the invocation before it, as it already
   * does once `maxConcurrency` environments exist. No environment starts before an invocation asks for one.
   * @default the cores Node may use (os.availableParallelism())
   */
  readonly maxInitializing?: number;
  /**
   * Init slots shared with the other functions' pools: the cores are the machine's, not one function's, so with two
   * functions no more inits run at once than there are cores either. Overrides `maxInitializing`.
   * @default slots of this pool's own
   */
  readonly initSlots?: InitSlots;
}

/**
 * How many execution environments, of every function sharing it, may be in their init phase at once (see
 * LambdaPoolOptions.maxInitializing for why). A pool takes a slot for each cold start and gives it back when the init
 * ends; every pool waiting for one is told then, and the first of its waiting invocations tries again.
 */
export class InitSlots {
  private inUse = 0;
  private readonly listeners = new Set<() => void>();

  constructor(readonly limit: number = availableParallelism()) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`init slots must be a positive integer, got ${limit}`);
  }

  tryTake(): boolean {
    if (this.inUse >= this.limit) return false;
    this.inUse++;
    return true;
  }

  giveBack(): void {
    this.inUse--;
    for (const listener of [...this.listeners]) listener();
  }

  /** `listener` runs each time a slot is given back; returns what stops it. */
  onFree(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * One function's execution environments: an invocation takes an idle warm worker, or starts a new one (a cold
 * start) while fewer than `maxConcurrency` exist and an init slot is free (`initSlots`, or `maxInitializing` of its
 * own), or waits for whichever comes first: a worker coming free or a start slot.
 */
export class LambdaPool {
  private readonly workers: Array<Promise<LambdaWorker>> = [];
  private readonly idle: LambdaWorker[] = [];
  /** Invocations waiting for an environment: handed a released one, or undefined when a start ended and freed a slot. */
  private readonly waiting: Array<(worker: LambdaWorker | undefined) => void> = [];
  private closed = false;
  /** Busy workers of a retiring pool, each with what to do once it is released with nothing waiting for it. */
  private readonly onLastRelease = new Map<LambdaWorker, () => void>();

  private readonly initSlots: InitSlots;
  private readonly stopListening: () => void;

  constructor(private readonly options: LambdaPoolOptions) {
    this.initSlots = options.initSlots ?? new InitSlots(options.maxInitializing ?? availableParallelism());
    // A slot given back (by this pool or another): the first invocation waiting here may start an environment, if
    // this pool may still grow (otherwise it waits for a released one, keeping its place).
    // A pool with no environment left wakes it too: shut down or retiring, it fails rather than waits forever.
    this.stopListening = this.initSlots.onFree(() => {
      if (this.canGrow() || this.workers.length === 0) this.waiting.shift()?.(undefined);
    });
  }

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
    this.stopListening();
    // Waiters look again: with no environment left they fail rather than wait for one that never comes.
    for (const wake of this.waiting.splice(0)) wake(undefined);
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
    this.stopListening();
  }

  private async acquire(): Promise<{ worker: LambdaWorker; fresh: boolean }> {
    if (this.closed) throw new Error(`function ${this.options.functionName} is shut down`);
    // Woken for a slot another invocation then took: it waits again at the head of the line, not at its end.
    let woken = false;
    for (;;) {
      const idle = this.idle.pop();
      if (idle) return { worker: idle, fresh: false };
      // Shut down or retiring with no environment left: nothing will ever be handed over, so waiting would hang.
      if (this.closed && this.workers.length === 0) throw new Error(`function ${this.options.functionName} is shut down`);
      if (this.canGrow() && this.initSlots.tryTake()) {
        const starting = startLambdaWorker(this.options);
        this.workers.push(starting);
        try {
          return { worker: await starting, fresh: true };
        } catch (err) {
          this.workers.splice(this.workers.indexOf(starting), 1);
          throw err;
        } finally {
          // An init slot (and, after a failure, an environment's slot) is free: an invocation waiting for an
          // environment, here or in another pool sharing the slots, may start one itself.
          this.initSlots.giveBack();
        }
      }
      const handed = await new Promise<LambdaWorker | undefined>((resolve) => (woken ? this.waiting.unshift(resolve) : this.waiting.push(resolve)));
      if (handed) return { worker: handed, fresh: false };
      woken = true;
    }
  }

  /** Another environment may start: not shut down or retiring (those start nothing more), and under the limit. */
  private canGrow(): boolean {
    return !this.closed && this.workers.length < (this.options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY);
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
