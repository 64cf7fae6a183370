/**
 * A local Lambda "execution environment": a warm child process (runner.ts) that loads a bundled handler once and
 * serves invocations over IPC. moto cannot invoke Lambdas without Docker, so the local cloud plays them here.
 *
 * - One invocation at a time per worker, like one Lambda environment; concurrent invoke() calls queue up
 *   (the same as reserved concurrency 1). Start several workers for more.
 * - Timeout: the child is killed and the invocation returns `Sandbox.Timedout` / "Task timed out after N.NN
 *   seconds"; the next invocation starts a fresh child (a cold start, as after a Lambda timeout).
 * - A child that dies mid-invocation (process.exit, crash, unhandled rejection) gives `Runtime.ExitError`;
 *   the next invocation starts a fresh child.
 * - The child's environment is built from scratch: nothing of the parent's (notably its AWS credentials)
 *   leaks in except PATH; pass AWS_ENDPOINT_URL and region in `environment`, and the execution role's session in
 *   `executionRole` (or static credentials in `environment`).
 * - Log lines (the handler's console output in Lambda's text format, plus START/END/REPORT) go to onLog.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { InvokeRequest, LambdaError, RunnerConfig, RunnerMessage } from './protocol.js';
import { secureAsset } from './asset-guard.js';
import { runnerBundlePath } from './runner-bundle.js';
import { LOCAL_ACCOUNT_ID } from '../contract.js';

export type { LambdaError } from './protocol.js';

export interface LambdaWorkerOptions {
  /** Directory holding the bundle (NodejsFunction asset: index.js, CommonJS). */
  readonly assetDir: string;
  /** "index.handler" */
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
  /**
   * The execution role's credentials, fetched at each cold start and set as AWS_ACCESS_KEY_ID,
   * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, as Lambda does ("Defined runtime environment variables",
   * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime). A failure
   * fails the invocation as an init error. @default none (whatever `environment` holds)
   */
  readonly executionRole?: () => Promise<{ readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string }>;
  readonly timeoutMs: number;
  /** Default 128, as Lambda. Caps the child's V8 heap. */
  readonly memoryMb?: number;
  readonly functionName: string;
  /** Default environment.AWS_REGION, else us-east-1. */
  readonly region?: string;
  /** For the function ARN in context. @default LOCAL_ACCOUNT_ID (moto's account) */
  readonly accountId?: string;
  readonly onLog?: (line: string) => void;
  /** Lambda's init phase limit; default 10 s. */
  readonly initTimeoutMs?: number;
}

export interface InvokeResult {
  readonly requestId: string;
  readonly result?: unknown;
  readonly error?: LambdaError;
  readonly durationMs: number;
  /** True when this invocation had to start the child (first use, or after a timeout or crash). */
  readonly coldStart: boolean;
}

export interface LambdaWorker {
  readonly functionArn: string;
  invoke(event: unknown): Promise<InvokeResult>;
  /** Stops the child; later invoke() calls reject. */
  close(): Promise<void>;
}

/** Starts the child and loads the handler; rejects if the handler cannot be loaded. */
export async function startLambdaWorker(opts: LambdaWorkerOptions): Promise<LambdaWorker> {
  validate(opts);
  secureAsset(opts.assetDir);
  const worker = new ChildLambdaWorker(opts);
  await worker.warm();
  return worker;
}

interface Child {
  readonly process: ChildProcess;
  readonly exited: Promise<string>;
}

/** The init phase failed (the module threw, the runtime exited, or Lambda's 10 s init limit passed). */
export class InitError extends Error {
  constructor(readonly lambdaError: LambdaError) {
    super(`${lambdaError.errorType}: ${lambdaError.errorMessage}`);
    this.name = 'LambdaInitError';
  }
}

class ChildLambdaWorker implements LambdaWorker {
  readonly functionArn: string;
  private readonly region: string;
  private readonly memoryMb: number;
  private child: Child | undefined;
  /** The init phase of the child just started, reported on its first invocation's REPORT line, as Lambda does. */
  private initDurationMs: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: LambdaWorkerOptions) {
    this.region = opts.region ?? opts.environment['AWS_REGION'] ?? 'us-east-1';
    this.memoryMb = opts.memoryMb ?? 128;
    this.functionArn = `arn:aws:lambda:${this.region}:${opts.accountId ?? LOCAL_ACCOUNT_ID}:function:${opts.functionName}`;
  }

  async warm(): Promise<void> {
    this.child = await this.spawn();
  }

  invoke(event: unknown): Promise<InvokeResult> {
    const next = this.queue.then(() => this.invokeNow(event));
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stopChild();
  }

  private async invokeNow(event: unknown): Promise<InvokeResult> {
    if (this.closed) throw new Error(`Lambda worker ${this.opts.functionName} is closed`);
    const requestId = randomUUID();
    const started = performance.now();
    const coldStart = this.child === undefined;
    const log = (line: string) => this.opts.onLog?.(line);
    log(`START RequestId: ${requestId} Version: $LATEST`);
    let outcome: { result?: unknown; error?: LambdaError; maxRssBytes?: number };
    try {
      this.child ??= await this.spawn();
      outcome = await this.exchange(this.child, requestId, event);
    } catch (err) {
      if (!(err instanceof InitError)) throw err;
      outcome = { error: err.lambdaError };
    }
    const durationMs = performance.now() - started;
    log(`END RequestId: ${requestId}`);
    const memoryUsed = outcome.maxRssBytes === undefined ? '' : `\tMax Memory Used: ${Math.ceil(outcome.maxRssBytes / 2 ** 20)} MB`;
    const init = this.initDurationMs === undefined ? '' : `\tInit Duration: ${this.initDurationMs.toFixed(2)} ms`;
    this.initDurationMs = undefined;
    log(`REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\tMemory Size: ${this.memoryMb} MB${memoryUsed}${init}`);
    return { requestId, durationMs, coldStart, ...(outcome.error ? { error: outcome.error } : { result: outcome.result }) };
  }

  /** Sends one invocation and waits for its answer, the deadline, or the child's death. */
  private async exchange(child: Child, requestId: string, event: unknown): Promise<{ result?: unknown; error?: LambdaError; maxRssBytes?: number }> {
    const deadline = Date.now() + this.opts.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let onMessage: ((message: RunnerMessage) => void) | undefined;
    const answered = new Promise<{ result?: unknown; error?: LambdaError; maxRssBytes: number }>((resolve) => {
      onMessage = (message) => {
        if (message.type === 'result' && message.requestId === requestId) resolve({ result: message.result, maxRssBytes: message.maxRssBytes });
        if (message.type === 'error' && message.requestId === requestId) resolve({ error: message.error, maxRssBytes: message.maxRssBytes });
      };
      child.process.on('message', onMessage);
    });
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.opts.timeoutMs);
    });
    const request: InvokeRequest = { type: 'invoke', requestId, event, deadline, invokedFunctionArn: this.functionArn };
    child.process.send(request);
    try {
      const outcome = await Promise.race([answered, timedOut, child.exited]);
      if (outcome === 'timeout') {
        const seconds = (this.opts.timeoutMs / 1000).toFixed(2);
        this.opts.onLog?.(`${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`);
        await this.stopChild();
        return { error: { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${seconds} seconds` } };
      }
      if (typeof outcome === 'string') {
        this.child = undefined;
        return { error: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${outcome}` } };
      }
      return outcome;
    } finally {
      clearTimeout(timer);
      child.process.off('message', onMessage!);
    }
  }

  private async spawn(): Promise<Child> {
    const started = performance.now();
    const runner = await runnerBundlePath();
    const config: RunnerConfig = { assetDir: this.opts.assetDir, handler: this.opts.handler };
    const role = await this.roleEnvironment();
    const proc = fork(runner, [JSON.stringify(config)], {
      cwd: this.opts.assetDir,
      env: { ...this.childEnvironment(), ...role },
      execArgv: [`--max-old-space-size=${Math.max(16, Math.floor(this.memoryMb * 0.9))}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    for (const stream of [proc.stdout!, proc.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.opts.onLog?.(line));
    }
    const exited = new Promise<string>((resolve) => {
      proc.once('exit', (code, signal) => resolve(signal ? `signal: ${signal}` : `exit status ${code}`));
    });
    const child = { process: proc, exited };
    // A child can die between invocations too (a stray timer calling process.exit); the next invoke respawns.
    void exited.then(() => {
      if (this.child === child) this.child = undefined;
    });
    proc.on('error', (err) => this.opts.onLog?.(`[local lambda ${this.opts.functionName}] child process error: ${err.message}`));
    const initTimeoutMs = this.opts.initTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const init = await Promise.race([
      new Promise<RunnerMessage>((resolve) => proc.once('message', resolve)),
      exited.then((how): LambdaError => ({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited during init: ${how}` })),
      new Promise<LambdaError>((resolve) => {
        timer = setTimeout(() => resolve({ errorType: 'Runtime.InitTimeout', errorMessage: `Init did not finish within ${initTimeoutMs} ms` }), initTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if ('type' in init && init.type === 'ready') {
      this.initDurationMs = performance.now() - started;
      return child;
    }
    await killAndWait(child);
    throw new InitError('type' in init ? (init.type === 'init-error' ? init.error : unexpected(init)) : init);
  }

  /** The execution role's session as Lambda's environment variables; a failure is the init's. */
  private async roleEnvironment(): Promise<Record<string, string>> {
    if (!this.opts.executionRole) return {};
    try {
      const c = await this.opts.executionRole();
      return {
        AWS_ACCESS_KEY_ID: c.accessKeyId,
        AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
        ...(c.sessionToken !== undefined && { AWS_SESSION_TOKEN: c.sessionToken }),
      };
    } catch (err) {
      const e = err as Error;
      throw new InitError({ errorType: e.name || 'Runtime.AssumeRoleFailed', errorMessage: `The execution role cannot be assumed: ${e.message}` });
    }
  }

  private childEnvironment(): Record<string, string> {
    const name = this.opts.functionName;
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    return {
      PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: this.opts.assetDir,
      AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${process.versions.node.split('.')[0]}.x`,
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
      ...this.opts.environment,
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    };
  }

  private async stopChild(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) await killAndWait(child);
  }
}

async function killAndWait(child: Child): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  await child.exited;
}

function unexpected(message: RunnerMessage): LambdaError {
  return { errorType: 'Runtime.Unknown', errorMessage: `Unexpected first message from the runner: ${message.type}` };
}

function validate(opts: LambdaWorkerOptions): void {
  if (!opts.functionName) throw new Error('startLambdaWorker: functionName is required');
  if (!opts.assetDir) throw new Error('startLambdaWorker: assetDir is required');
  if (!/^[^.]+\..+$/.test(opts.handler.slice(opts.handler.lastIndexOf('/') + 1))) {
    throw new Error(`startLambdaWorker: handler must look like "index.handler", got ${JSON.stringify(opts.handler)}`);
  }
  if (!(opts.timeoutMs > 0)) throw new Error(`startLambdaWorker: timeoutMs must be positive, got ${opts.timeoutMs}`);
  if (opts.memoryMb !== undefined && !(opts.memoryMb >= 128 && opts.memoryMb <= 10_240)) {
    throw new Error(`startLambdaWorker: memoryMb must be from 128 to 10240, got ${opts.memoryMb}`);
  }
}
