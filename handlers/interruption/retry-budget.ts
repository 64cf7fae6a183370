/**
 * The handler's own retries, inside one invocation and bounded by the function's remaining time.
 *
 * Why here and not left to the platform: EventBridge invokes the function asynchronously, so a failed invocation
 * is retried by Lambda, not by EventBridge, and Lambda waits about one minute before the first retry and two more
 * before the second (Lambda developer guide, "How Lambda handles errors and retries with asynchronous
 * invocation", https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html). The first retry
 * would come halfway through the two-minute warning and the second after the instance is gone. So an ELB API that
 * throttles or fails for tens of seconds is ridden out here, with jittered backoff, and the invocation ends with a
 * clean, logged error shortly before the function's timeout would kill it mid-call.
 */

export interface RetryBudgetOptions {
  /** Upper bound of the first wait; it doubles per retry. @default 250 */
  readonly baseDelayMs?: number;
  /** @default 4000 */
  readonly maxDelayMs?: number;
  /**
   * The budget when the handler has no Lambda context (called directly, in tests). @default 25_000, which fits the
   * function's timeout (FUNCTION_TIMEOUT_SECONDS, 60 s) with room to spare.
   */
  readonly budgetWithoutContextMs?: number;
  /** Injectable for tests. @default setTimeout / Math.random / performance.now */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** Kept back from the function's remaining time, to log and return before Lambda's timeout: 10 %, 100 ms-5 s. */
export function safetyMarginMs(remainingMs: number): number {
  return Math.min(5_000, Math.max(100, remainingMs * 0.1));
}

/** How long the handler may keep retrying, given the remaining time its Lambda context reports. */
export function retryBudgetMs(remainingMs: number | undefined, options: RetryBudgetOptions = {}): number {
  if (remainingMs === undefined) return options.budgetWithoutContextMs ?? 25_000;
  return Math.max(0, remainingMs - safetyMarginMs(remainingMs));
}

/** One invocation's time, read once from its Lambda context when it starts. */
export interface InvocationBudget {
  /** What the context reported at the start (ms), or undefined without a context (a direct call). */
  readonly remainingMs: number | undefined;
  /** How long the invocation may keep retrying in all (retryBudgetMs). */
  readonly budgetMs: number;
  /** What is left of it now (ms): 0 stays 0 (one pass, no deadline); a spent budget leaves 1 ms, so a late step is cut at once. */
  budgetLeft(): number;
}

/** The retry budget of an invocation that started at `startedAt` (performance.now()). */
export function invocationBudget(context: { getRemainingTimeInMillis?: () => number } | undefined, startedAt: number, options: RetryBudgetOptions = {}): InvocationBudget {
  const remainingMs = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
  const budgetMs = retryBudgetMs(remainingMs, options);
  return { remainingMs, budgetMs, budgetLeft: () => (budgetMs === 0 ? 0 : Math.max(1, budgetMs - (performance.now() - startedAt))) };
}

/** What a log line and Lambda should see: the AWS failure itself, not the budget that gave up on it. */
export function causeOf(thrown: unknown): Error {
  return thrown instanceof RetryBudgetExhaustedError ? (thrown.lastError as Error) : (thrown as Error);
}

/** Milliseconds since `startedAt` (performance.now()), to a tenth. */
export function elapsedSince(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 10) / 10;
}

/**
 * Failures another attempt can fix: throttling, server errors, network errors and per-request timeouts. A client
 * error (access denied, a target group that does not exist, a validation error) is not retried: it would fail the
 * same way until someone fixes the configuration.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof AggregateError) return error.errors.some(isTransient);
  const { $fault, $metadata } = error as { $fault?: string; $metadata?: { httpStatusCode?: number } };
  if (/Throttl|RequestLimitExceeded|TooManyRequests|SlowDown/i.test(error.name)) return true;
  if ($fault === 'server' || ($metadata?.httpStatusCode ?? 0) >= 500) return true;
  // No HTTP answer at all: a reset, a refused connection, the SDK's own request timeout.
  return $fault === undefined && ($metadata?.httpStatusCode ?? 0) === 0;
}

/** Less time than this left: no further attempt (it could not finish a request). */
const MIN_ATTEMPT_MS = 100;

export interface RetryResult<T> {
  readonly value: T;
  readonly attempts: number;
}

export class RetryBudgetExhaustedError extends Error {
  override readonly name = 'RetryBudgetExhaustedError';
  constructor(
    readonly attempts: number,
    readonly budgetMs: number,
    readonly lastError: unknown,
  ) {
    super(`gave up after ${attempts} attempt(s) within the ${Math.round(budgetMs)} ms retry budget: ${messageOf(lastError)}`, { cause: lastError });
  }
}

/**
 * Runs `operation` until it succeeds, a failure is not transient, or the budget is spent. Every attempt gets a
 * signal that aborts at the deadline, so no SDK call outlives the budget; the first attempt always runs. Throws the failure itself when it is not
 * transient, a RetryBudgetExhaustedError (carrying the last failure) when time ran out.
 */
export async function retryWithinBudget<T>(
  operation: (signal: AbortSignal, attempt: number) => Promise<T>,
  budgetMs: number,
  options: RetryBudgetOptions = {},
): Promise<RetryResult<T>> {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const base = options.baseDelayMs ?? 250;
  const cap = options.maxDelayMs ?? 4_000;
  const deadline = now() + budgetMs;
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    // A budget of 0 means one attempt with no deadline of its own (the SDK's timeouts still bound it).
    const signal = budgetMs > 0 ? AbortSignal.timeout(Math.ceil(Math.max(1, deadline - now()))) : new AbortController().signal;
    try {
      return { value: await operation(signal, attempt), attempts: attempt };
    } catch (error) {
      // An attempt cut by the deadline says nothing new: report the failure before it, if there was one.
      const cutByDeadline = signal.aborted && lastError !== undefined;
      if (!cutByDeadline) lastError = error;
      if (!isTransient(error) && !signal.aborted) throw error;
      const left = deadline - now();
      if (signal.aborted || left < MIN_ATTEMPT_MS) throw new RetryBudgetExhaustedError(attempt, budgetMs, lastError);
      // Near the deadline the wait shrinks rather than the last attempt being skipped: half of what is left at most.
      await sleep(Math.min(random() * Math.min(cap, base * 2 ** (attempt - 1)), left / 2));
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
