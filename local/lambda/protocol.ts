/** Messages between the worker (parent) and the runner (child process) over the fork IPC channel. */

export interface LambdaError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly stackTrace?: readonly string[];
}

/** What the runner needs to load the handler; passed as a JSON argv entry. */
export interface RunnerConfig {
  readonly assetDir: string;
  readonly handler: string;
}

export interface InvokeRequest {
  readonly type: 'invoke';
  readonly requestId: string;
  readonly event: unknown;
  /** Epoch ms at which the parent kills the invocation. */
  readonly deadline: number;
  readonly invokedFunctionArn: string;
}

export type RunnerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly error: LambdaError }
  | { readonly type: 'result'; readonly requestId: string; readonly result: unknown; readonly maxRssBytes: number }
  | { readonly type: 'error'; readonly requestId: string; readonly error: LambdaError; readonly maxRssBytes: number };
