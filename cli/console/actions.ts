import { CliError } from '../errors.js';
import { describeInterruption, describeNow, drainNote, fromReport } from '../interrupt/plan.js';
import { interrupt } from '../interrupt/run.js';
import { runLoad } from '../load/generator.js';
import type { LoadSummary } from '../load/stats.js';
import type { Target } from '../target.js';
import type { ActionView } from './view.js';

/** A request the page may make; validated here because it comes from outside. */
export type ActionRequest =
  | { readonly action: 'interrupt' }
  | { readonly action: 'interrupt-fis'; readonly instanceId?: string }
  | { readonly action: 'load-start'; readonly rate: number }
  | { readonly action: 'load-stop' };

/** The most a steady load from the console may send: the page is a demo tool, not a load tester. */
export const MAX_LOAD_RATE = 500;
/** A steady load stops by itself after this long, so a forgotten tab does not hammer a stack for ever. */
export const MAX_LOAD_MS = 60 * 60_000;
const ACTIONS_KEPT = 5;

/** Parses the page's JSON body into an action, or throws a CliError (exit code 2 = the request was wrong). */
export function parseActionRequest(body: unknown): ActionRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  switch (b.action) {
    case 'interrupt':
    case 'load-stop':
      return { action: b.action };
    case 'interrupt-fis': {
      if (b.instanceId === undefined) return { action: 'interrupt-fis' };
      if (typeof b.instanceId !== 'string' || !/^i-[0-9a-f]{8,17}$/.test(b.instanceId)) throw new CliError('instanceId must be an instance id such as i-0123456789abcdef0', 2);
      return { action: 'interrupt-fis', instanceId: b.instanceId };
    }
    case 'load-start': {
      const rate = Number(b.rate);
      if (!Number.isFinite(rate) || rate <= 0 || rate > MAX_LOAD_RATE) throw new CliError(`rate must be a number of requests per second above 0 and at most ${MAX_LOAD_RATE}`, 2);
      return { action: 'load-start', rate };
    }
    default:
      throw new CliError(`unknown action ${JSON.stringify(b.action)}: expected interrupt, interrupt-fis, load-start or load-stop`, 2);
  }
}

interface RunningLoad {
  readonly view: ActionView;
  readonly rate: number;
  readonly startedAt: number;
  readonly abort: AbortController;
  latest?: LoadSummary;
  readonly done: Promise<void>;
}

/**
 * The page's buttons, through the CLI's own code: `interrupt` (capacity or FIS, with its refusals: not below one
 * instance, only the stack's fleet, only its instances) and `load` (the open-loop generator). One interruption
 * at a time, so a double click cannot take two instances.
 */
export class ConsoleActions {
  private readonly history: ActionView[] = [];
  private nextId = 1;
  private interrupting = false;
  private load?: RunningLoad;
  private readonly stopping = new AbortController();

  constructor(private readonly target: Target) {}

  /** Starts an action; resolves once it was accepted (interruptions go on in the background). */
  async start(request: ActionRequest): Promise<ActionView> {
    switch (request.action) {
      case 'interrupt':
      case 'interrupt-fis':
        return this.startInterrupt(request);
      case 'load-start':
        return this.startLoad(request.rate);
      case 'load-stop':
        return this.stopLoad();
    }
  }

  /** Actions, newest last (the last few). */
  actions(): ActionView[] {
    return this.history.map((a) => ({ ...a, lines: [...a.lines] }));
  }

  /** The steady load's figures so far, if one runs. */
  loadState(): { rate: number; startedAt: number; requests: number; failures: number } | undefined {
    const l = this.load;
    return l && { rate: l.rate, startedAt: l.startedAt, requests: l.latest?.requests ?? 0, failures: l.latest?.failures ?? 0 };
  }

  /** Cumulative requests and failures of the running load (for the timeline's rate), if one runs. */
  loadTotals(): { requests: number; failures: number } | undefined {
    return this.load && { requests: this.load.latest?.requests ?? 0, failures: this.load.latest?.failures ?? 0 };
  }

  /** Stops the load and stops following interruptions (the instances' fate is in AWS's hands by then). */
  async close(): Promise<void> {
    this.stopping.abort();
    this.load?.abort.abort();
    await this.load?.done;
  }

  private record(kind: ActionView['kind'], lines: string[]): ActionView & { lines: string[]; state: ActionView['state']; endedAt?: number } {
    const view = { id: this.nextId++, kind, state: 'running' as ActionView['state'], lines, startedAt: Date.now() } as ActionView & {
      lines: string[];
      state: ActionView['state'];
      endedAt?: number;
    };
    this.history.push(view);
    if (this.history.length > ACTIONS_KEPT) this.history.shift();
    return view;
  }

  private async startInterrupt(request: Extract<ActionRequest, { action: 'interrupt' | 'interrupt-fis' }>): Promise<ActionView> {
    if (this.interrupting) throw new CliError('an interruption started from this console is still being followed: wait until its instance is gone', 2);
    const fis = request.action === 'interrupt-fis';
    const instanceId = fis ? request.instanceId : undefined;
    this.interrupting = true;
    const view = this.record(fis ? 'interrupt-fis' : 'interrupt', [fis ? `FIS: interrupting ${instanceId ?? 'one instance'}…` : 'Lowering the target capacity by 1…']);
    let started = false;
    let accepted!: () => void;
    let refused!: (err: unknown) => void;
    const acceptance = new Promise<void>((resolve, reject) => {
      accepted = resolve;
      refused = reject;
    });
    // The CLI's interrupt() checks, acts, then follows; its first progress report means the action was taken.
    const run = interrupt(this.target, {
      by: 1,
      fis,
      ...(instanceId ? { instances: [instanceId] } : {}),
      fleet: this.target.facts.fleetRequestId,
      signal: this.stopping.signal,
      onProgress: (snapshot, followed, startedAt) => {
        started = true;
        accepted();
        const views = new Map(snapshot.instances.map((i) => [i.instanceId, i]));
        view.lines = [
          view.lines[0]!,
          ...followed.map((f) => {
            const now = describeNow(f, views.get(f.instanceId));
            return `${describeInterruption(f, startedAt)}${now ? ` [${now}]` : ''}`;
          }),
        ];
      },
    });
    run.then(
      (report) => {
        view.state = report.complete ? 'succeeded' : 'failed';
        view.lines = [
          report.method === 'fis' ? `FIS experiment ${report.experimentId ?? ''} ${report.experimentStatus ?? ''}`.trim() : `Target capacity ${report.capacity.from} → ${report.capacity.to}`,
          ...report.instances.flatMap((i) => {
            const steps = fromReport(i);
            const note = drainNote(steps, Date.parse(report.startedAt));
            return [`${describeInterruption(steps, Date.parse(report.startedAt))}${i.drained ? ' (drained before it went)' : ''}`, ...(note ? [note] : [])];
          }),
          ...(report.complete ? [] : ['Stopped following before every interrupted instance was gone.']),
        ];
      },
      (err: Error) => {
        view.state = 'failed';
        view.lines = [...view.lines, err.message];
        // Refused before anything was done (a safety rail): the page shows the refusal; nothing to keep.
        if (!started) this.history.splice(this.history.indexOf(view), 1);
        refused(err);
      },
    ).finally(() => {
      view.endedAt = Date.now();
      this.interrupting = false;
      accepted();
    });
    await acceptance;
    return { ...view, lines: [...view.lines] };
  }

  private startLoad(rate: number): ActionView {
    if (this.load) throw new CliError(`a steady load of ${this.load.rate} requests/s is already running: stop it first`, 2);
    const view = this.record('load', [`Steady load: ${rate} requests/s to ${this.target.facts.url}`]);
    const abort = new AbortController();
    const load: RunningLoad = {
      view,
      rate,
      startedAt: Date.now(),
      abort,
      done: runLoad({
        url: this.target.facts.url,
        rate,
        durationMs: MAX_LOAD_MS,
        concurrency: Math.max(8, Math.ceil(rate)),
        signal: abort.signal,
        progressEveryMs: 500,
        onProgress: (s) => (load.latest = s),
      }).then(
        (summary) => {
          load.latest = summary;
          view.state = summary.failures > 0 ? 'failed' : 'succeeded';
          view.lines = [view.lines[0]!, `${summary.requests} requests, ${summary.failures} failed${failureKinds(summary)}; p99 ${summary.latencyMs.p99} ms`];
        },
        (err: Error) => {
          view.state = 'failed';
          view.lines = [view.lines[0]!, err.message];
        },
      ).finally(() => {
        view.endedAt = Date.now();
        if (this.load === load) this.load = undefined;
      }),
    };
    this.load = load;
    return { ...view, lines: [...view.lines] };
  }

  private async stopLoad(): Promise<ActionView> {
    const load = this.load;
    if (!load) throw new CliError('no steady load is running', 2);
    load.abort.abort();
    await load.done;
    return { ...load.view, lines: [...load.view.lines] };
  }
}

function failureKinds(s: LoadSummary): string {
  const kinds = Object.entries(s.failuresByKind).map(([k, n]) => `${k} ×${n}`);
  return kinds.length > 0 ? ` (${kinds.join(', ')})` : '';
}
