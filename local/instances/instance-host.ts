import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import type { SpotAction } from '../../common/ec2-events.js';
import { startImdsEmulator } from '../imds/emulator.js';
import { probePort } from '../ports.js';

/** What a simulated instance knows about itself, served by its own IMDS. */
export interface InstanceIdentity {
  readonly instanceId: string;
  readonly availabilityZone: string;
  readonly instanceType: string;
  readonly lifecycle: 'spot' | 'on-demand';
}

export interface InstanceHostProps {
  readonly identity: InstanceIdentity;
  /** The instance app, as extracted from the launch template's user data. */
  readonly appPath: string;
  /** How often the app polls IMDS for a Spot notice (and retries its identity). */
  readonly spotPollIntervalMs: number;
  /** Off runs the app without its Spot watcher, as the naive workshop page. */
  readonly spotWatcher: boolean;
  /**
   * The app's environment as the user data's systemd unit sets it (extractAppEnvironment), durations already on
   * the local time scale; the host's own settings (address, IMDS, Spot polling) override it. @default none
   */
  readonly environment?: Readonly<Record<string, string>>;
  readonly onLog?: (line: string) => void;
}

type Imds = Awaited<ReturnType<typeof startImdsEmulator>>;

async function waitForHttp(port: number, path: string, deadlineMs: number, child: ChildProcess): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`instance app exited with code ${child.exitCode} before serving`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(500) });
      await res.body?.cancel();
      return;
    } catch {
      if (Date.now() > until) throw new Error(`instance app did not answer on port ${port} within ${deadlineMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/**
 * One simulated EC2 instance: the instance app from the user data, running as its own process on a loopback
 * port, with its own IMDSv2. What AWS hardware does for a real instance, this does on one laptop.
 */
export class InstanceHost {
  private child?: ChildProcess;
  private imds?: Imds;
  private appPort?: number;

  constructor(private readonly props: InstanceHostProps) {}

  get instanceId(): string {
    return this.props.identity.instanceId;
  }

  /** Where the ALB reaches the app. */
  get address(): { host: string; port: number } | undefined {
    return this.appPort === undefined || this.child?.exitCode !== null ? undefined : { host: '127.0.0.1', port: this.appPort };
  }

  /** The instance app's process id while it runs. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Boots the instance: IMDS first, then the app; resolves once the app answers HTTP. */
  async start(): Promise<void> {
    const { identity } = this.props;
    this.imds = await startImdsEmulator(identity);
    this.appPort = await probePort(0, '127.0.0.1');
    const child = spawn(process.execPath, [this.props.appPath], {
      env: {
        ...this.props.environment,
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: String(this.appPort),
        IMDS_ENDPOINT: this.imds.url,
        SPOT_POLL_INTERVAL_MS: String(this.props.spotPollIntervalMs),
        SPOT_WATCHER: this.props.spotWatcher ? 'on' : 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    lowerPriority(child);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => this.props.onLog?.(`${identity.instanceId} ${line}`));
    }
    await waitForHttp(this.appPort, '/', 10_000, child);
  }

  /** The two-minute warning, as IMDS shows it at `spot/instance-action`. */
  warn(action: SpotAction, at: Date): void {
    this.imds?.setSpotAction(action, at);
  }

  /** Rebalance recommendation, as IMDS shows it at `events/recommendations/rebalance`. */
  recommendRebalance(at: Date): void {
    this.imds?.setRebalance(at);
  }

  /**
   * Shuts the instance down. `graceful` sends SIGTERM and waits (a stop/terminate the OS sees coming);
   * otherwise the process is killed at once, as a reclaimed host simply disappears.
   */
  async stop(graceful: boolean): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill(graceful ? 'SIGTERM' : 'SIGKILL');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await this.imds?.close();
    this.imds = undefined;
  }
}

/** Niceness of instance processes: below the emulated control plane, still well above idle work. */
export const INSTANCE_NICENESS = 10;

/**
 * On AWS an instance has CPUs of its own; here it shares the machine's with the emulated control plane (moto, the
 * Lambda runtime, the ALB), and an instance booting or serving must not stall the calls that take another one out
 * of service. Where lowering a process's priority is not permitted, it simply keeps the normal one.
 */
function lowerPriority(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    setPriority(child.pid, INSTANCE_NICENESS);
  } catch {
    // Not permitted on this platform or for this user: normal priority.
  }
}
