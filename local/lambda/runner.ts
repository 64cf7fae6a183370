/**
 * Child-process side of a local Lambda container: loads the handler module once (cold start), then serves
 * invocations sent by the parent over IPC one at a time, the way one Lambda execution environment does.
 * console output is written in the Lambda Node.js runtime's text format: `<ISO time>\t<request id>\t<LEVEL>\t<message>`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import type { InvokeRequest, LambdaError, RunnerConfig, RunnerMessage } from './protocol.js';

type Handler = (event: unknown, context: Record<string, unknown>, callback?: (err: unknown, result?: unknown) => void) => unknown;

const config = JSON.parse(process.argv[2] ?? '') as RunnerConfig;
let currentRequestId = 'undefined';
let maxRssBytes = 0;

function send(message: RunnerMessage): void {
  process.send!(message);
}

function patchConsole(): void {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' } as const;
  for (const [method, level] of Object.entries(levels)) {
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      process.stdout.write(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${format(...args)}\n`);
    };
  }
}

function toLambdaError(err: unknown, fallbackType = 'Error'): LambdaError {
  if (err instanceof Error) {
    return { errorType: err.name || fallbackType, errorMessage: err.message, stackTrace: (err.stack ?? '').split('\n').slice(1).map((l) => l.trim()) };
  }
  return { errorType: typeof err === 'string' ? 'string' : fallbackType, errorMessage: String(err) };
}

class RuntimeError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** "dir/file.fn" or "file.ns.fn": the module is the part before the first dot of the last path segment. */
async function loadHandler(): Promise<Handler> {
  const slash = config.handler.lastIndexOf('/');
  const dot = config.handler.indexOf('.', slash + 1);
  if (dot < 0) throw new RuntimeError('Runtime.MalformedHandlerName', `Bad handler ${config.handler}: expected "module.function"`);
  const modulePath = config.handler.slice(0, dot);
  const functionPath = config.handler.slice(dot + 1).split('.');
  const file = ['.js', '.cjs', '.mjs'].map((ext) => join(config.assetDir, modulePath + ext)).find((f) => existsSync(f));
  if (!file) throw new RuntimeError('Runtime.ImportModuleError', `Error: Cannot find module '${modulePath}' in ${config.assetDir}`);
  const loaded = await importModule(file);
  const fn = functionPath.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], loaded);
  if (typeof fn !== 'function') throw new RuntimeError('Runtime.HandlerNotFound', `${config.handler} is undefined or not exported`);
  return fn as Handler;
}

async function importModule(file: string): Promise<unknown> {
  if (!file.endsWith('.mjs')) {
    try {
      return createRequire(file)(file);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw err;
    }
  }
  return import(pathToFileURL(file).href);
}

function contextFor(request: InvokeRequest): Record<string, unknown> {
  const env = process.env;
  return {
    awsRequestId: request.requestId,
    invokedFunctionArn: request.invokedFunctionArn,
    functionName: env['AWS_LAMBDA_FUNCTION_NAME'],
    functionVersion: env['AWS_LAMBDA_FUNCTION_VERSION'],
    memoryLimitInMB: env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'],
    logGroupName: env['AWS_LAMBDA_LOG_GROUP_NAME'],
    logStreamName: env['AWS_LAMBDA_LOG_STREAM_NAME'],
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, request.deadline - Date.now()),
  };
}

/** Runs an async or callback-style handler; the result goes through JSON as Lambda's response does. */
async function run(handler: Handler, request: InvokeRequest): Promise<unknown> {
  const context = contextFor(request);
  const result = await new Promise<unknown>((resolve, reject) => {
    const callback = (err: unknown, value?: unknown) => (err ? reject(err) : resolve(value));
    const returned = handler(request.event, context, handler.length >= 3 ? callback : undefined);
    if (handler.length < 3 || (returned && typeof (returned as Promise<unknown>).then === 'function')) {
      Promise.resolve(returned).then(resolve, reject);
    }
  });
  return result === undefined ? null : JSON.parse(JSON.stringify(result));
}

async function main(): Promise<void> {
  patchConsole();
  let handler: Handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    send({ type: 'init-error', error: toLambdaError(err, 'Runtime.ImportModuleError') });
    return;
  }
  process.on('message', (request: InvokeRequest) => {
    currentRequestId = request.requestId;
    run(handler, request).then(
      (result) => send({ type: 'result', requestId: request.requestId, result, maxRssBytes: trackRss() }),
      (err: unknown) => {
        const error = toLambdaError(err);
        console.error(`Invoke Error \t${JSON.stringify(error)}`);
        send({ type: 'error', requestId: request.requestId, error, maxRssBytes: trackRss() });
      },
    );
  });
  send({ type: 'ready' });
}

function trackRss(): number {
  maxRssBytes = Math.max(maxRssBytes, process.memoryUsage.rss());
  return maxRssBytes;
}

void main();
