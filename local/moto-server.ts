import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { PortInUseError, assertValidPort, isAddressInUse, probePort } from './ports.js';
import { LOCAL_CREDENTIALS, type LocalCredentials } from './contract.js';
import { UserError } from '../common/user-error.js';

/** moto (the AWS emulator) running as a child process of this one. */
export interface MotoServer {
  /** `http://<host>:<port>`: pass as `endpoint` to SDK v3 clients (any region, dummy credentials). */
  readonly endpoint: string;
  readonly port: number;
  /** moto's process id, also its process group id. */
  readonly pid: number;
  /** Stops moto and anything it started; resolves once the process group is gone. Idempotent. */
  stop(): Promise<void>;
  /** Clears every resource in every service (`POST /moto-api/reset`). */
  reset(): Promise<void>;
}

export interface StartMotoOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Every line moto writes (werkzeug logs one per request on stderr). */
  readonly onLog?: (line: string) => void;
  /** @default 20_000 */
  readonly startTimeoutMs?: number;
  /** @default 'python3' */
  readonly python?: string;
  /**
   * Load AWS's managed IAM policies (MOTO_IAM_LOAD_MANAGED_POLICIES), so roles can attach them as on AWS.
   * Costs about half a second on the first IAM call. @default false
   */
  readonly loadManagedPolicies?: boolean;
  /**
   * Enforce IAM after this many requests (moto's access-control mode, `INITIAL_NO_AUTH_ACTION_COUNT`): from then on
   * moto checks every request's SigV4 signature against its IAM users' access keys and STS sessions, and its action
   * against the caller's identity-based policies (moto/core/authorization.py, moto/iam/access_control.py).
   * @default no enforcement (any credentials, every action allowed)
   */
  readonly initialNoAuthActionCount?: number;
}

export type MotoStartFailure = 'PYTHON_NOT_FOUND' | 'MOTO_NOT_INSTALLED' | 'START_TIMEOUT' | 'EXITED';

export class MotoStartError extends UserError {
  constructor(
    readonly code: MotoStartFailure,
    message: string,
  ) {
    super(message);
    this.name = 'MotoStartError';
  }
}

/** SDK v3 client settings that reach moto: its endpoint, a region and credentials (dummy ones where it does not enforce IAM). */
export function motoClientConfig(endpoint: string, region = 'us-east-1', credentials: LocalCredentials = LOCAL_CREDENTIALS) {
  return { endpoint, region, credentials };
}

const POLL_INTERVAL_MS = 75;
const STDERR_LINES_KEPT = 20;
const STOP_GRACE_MS = 3_000;

/*
 * Runs moto.server as __main__ behind a watchdog thread that exits when stdin reaches EOF. Our end of
 * that pipe closes whenever this process dies, even by SIGKILL, when no 'exit' handler gets to run: so an
 * orphaned moto cannot outlive the test run or CLI that started it.
 */
export const WATCHDOG = [
  // `python -c` puts the working directory first on sys.path, ahead of the standard library and moto: a `moto/`
  // planted where this is started (a shared /tmp, say) would run as the user (shown in moto-server.test.ts).
  // `sys` is built in, so it is imported before the path is cleaned; everything else after.
  'import sys',
  "sys.path[:] = [p for p in sys.path if p not in ('', '.')]",
  'import os, runpy, threading',
  'def _watch():',
  '    sys.stdin.buffer.read()',
  '    os._exit(0)',
  'threading.Thread(target=_watch, daemon=True).start()',
  // DynamoDB applies each write to an item atomically, conditions included ("Individual write operations such as
  // UpdateItem are atomic and always operate on the most recent version of the item, regardless of concurrency":
  // DynamoDB developer guide, "Best practices for handling concurrent updates"). moto's threaded server checks a
  // condition, then writes, with no lock (moto/dynamodb/models/__init__.py, update_item): two concurrent
  // conditional writes could both succeed, and a reader could see an item created with its key only. One lock
  // around DynamoDB's item operations makes them atomic as on AWS; importing moto's DynamoDB backend here costs
  // about 50 ms of moto's start.
  'from moto.dynamodb.models import DynamoDBBackend',
  '_item_lock = threading.RLock()',
  'def _atomic(operation):',
  '    def run(*args, **kwargs):',
  '        with _item_lock:',
  '            return operation(*args, **kwargs)',
  '    return run',
  "for _name in ('get_item', 'put_item', 'update_item', 'delete_item', 'batch_write_item', 'transact_write_items',",
  "              'execute_statement', 'batch_execute_statement', 'execute_transaction'):",
  '    setattr(DynamoDBBackend, _name, _atomic(getattr(DynamoDBBackend, _name)))',
  "sys.argv = ['moto.server'] + sys.argv[1:]",
  "runpy.run_module('moto.server', run_name='__main__', alter_sys=True)",
].join('\n');

/** Starts moto on 127.0.0.1 and resolves once it answers HTTP. */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const host = options.host ?? '127.0.0.1';
  const requested = options.port ?? 0;
  assertValidPort(requested, 'moto port');
  // A port we picked can be taken between probe and moto's bind: pick again. A requested one cannot.
  const attempts = requested === 0 ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = await claimPort(requested, host);
    try {
      return await launch(port, host, options);
    } catch (err) {
      if (!(err instanceof PortInUseError) || attempt >= attempts) throw err;
    }
  }
}

async function claimPort(requested: number, host: string): Promise<number> {
  try {
    return await probePort(requested, host);
  } catch (err) {
    if (isAddressInUse(err)) throw motoPortInUse(requested, host);
    throw err;
  }
}

function motoPortInUse(port: number, host: string): PortInUseError {
  return new PortInUseError(
    port,
    host,
    'stop the program using it (an earlier moto?) or start moto on another port (port 0 picks a free one)',
  );
}

async function launch(port: number, host: string, options: StartMotoOptions): Promise<MotoServer> {
  const python = options.python ?? 'python3';
  const child = spawn(python, ['-c', WATCHDOG, '-H', host, '-p', String(port)], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PYTHONUNBUFFERED: '1',
      ...(options.loadManagedPolicies ? { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } : {}),
      ...(options.initialNoAuthActionCount === undefined ? {} : { INITIAL_NO_AUTH_ACTION_COUNT: String(options.initialNoAuthActionCount) }),
    },
  });
  // Nothing is written to moto's stdin; it exists so moto notices when we die (see WATCHDOG).
  child.stdin?.on('error', () => undefined);
  const endpoint = `http://${host}:${port}`;
  const stderrTail: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>(
    (resolve) => {
      child.once('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    },
  );
  forwardLines(child, (line, stream) => {
    if (stream === 'stderr') {
      stderrTail.push(line);
      if (stderrTail.length > STDERR_LINES_KEPT) stderrTail.shift();
    }
    options.onLog?.(line);
  });
  trackForExit(child);

  const failure = await Promise.race([
    waitUntilAnswering(endpoint, options.startTimeoutMs ?? 20_000).then((ok) => (ok ? undefined : 'timeout')),
    exited,
  ]);
  if (failure === undefined) {
    return {
      endpoint,
      port,
      pid: child.pid as number,
      stop: () => stopGroup(child, exited),
      reset: () => resetMoto(endpoint),
    };
  }
  await stopGroup(child, exited);
  if (failure === 'timeout') {
    throw new MotoStartError(
      'START_TIMEOUT',
      `moto did not answer on ${endpoint} within ${options.startTimeoutMs ?? 20_000} ms.${tail(stderrTail)}`,
    );
  }
  throw explainExit(failure, python, port, host, stderrTail);
}

function explainExit(
  exit: { code: number | null; signal: NodeJS.Signals | null; spawnError?: Error },
  python: string,
  port: number,
  host: string,
  stderrTail: readonly string[],
): Error {
  if ((exit.spawnError as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    return new MotoStartError(
      'PYTHON_NOT_FOUND',
      `'${python}' was not found on PATH: install Python 3 (3.9 or newer), then run ` +
        `\`${python} -m pip install -r requirements-dev.txt\`.`,
    );
  }
  const stderr = stderrTail.join('\n');
  if (/No module named '?(moto|werkzeug|flask|flask_cors)\b/.test(stderr)) {
    return new MotoStartError(
      'MOTO_NOT_INSTALLED',
      `moto's server cannot be imported by '${python}': run \`${python} -m pip install -r requirements-dev.txt\` ` +
        '(it pins moto[server]).',
    );
  }
  if (/Address already in use|is in use by another program/.test(stderr)) return motoPortInUse(port, host);
  const how = exit.spawnError?.message ?? `exit code ${exit.code}${exit.signal ? `, signal ${exit.signal}` : ''}`;
  return new MotoStartError('EXITED', `moto exited before answering (${how}).${tail(stderrTail)}`);
}

function tail(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `\nmoto's last stderr lines:\n${lines.join('\n')}`;
}

function forwardLines(child: ChildProcess, onLine: (line: string, stream: 'stdout' | 'stderr') => void): void {
  for (const stream of ['stdout', 'stderr'] as const) {
    const source = child[stream];
    if (source) createInterface({ input: source }).on('line', (line) => onLine(line, stream));
  }
}

async function waitUntilAnswering(endpoint: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.ok) return true;
    } catch {
      // Not listening yet.
    }
    await sleep(POLL_INTERVAL_MS);
  }
  return false;
}

async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  const body = await response.text();
  if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status} ${body.slice(0, 200)}`);
}

async function stopGroup(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    signalGroup(child, 'SIGTERM');
    const graceful = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
    if (!graceful) signalGroup(child, 'SIGKILL');
  }
  await exited;
  child.stdin?.destroy();
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    // Negative pid: the whole process group (detached made moto its leader), so a pyenv shim or
    // anything moto forks goes too.
    process.kill(-(child.pid as number), signal);
  } catch {
    // Already gone.
  }
}

/* Children still running when this process exits normally are killed synchronously from 'exit'. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackForExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of running) signalGroup(c, 'SIGKILL');
    });
  }
}
