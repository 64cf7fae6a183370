import { isSpotAction, type SpotAction } from '../../common/ec2-events.js';
import type { ImdsClient } from './imds-client.js';

/** What `spot/instance-action` says once EC2 has decided to interrupt this Spot instance. */
export interface InterruptionNotice {
  readonly action: SpotAction;
  /** When EC2 will act, as IMDS wrote it (UTC, ISO 8601). */
  readonly time: string;
}

/** What `events/recommendations/rebalance` says when the instance is at elevated risk of interruption. */
export interface RebalanceRecommendation {
  readonly noticeTime: string;
}

export const INSTANCE_ACTION_PATH = 'spot/instance-action';
export const REBALANCE_PATH = 'events/recommendations/rebalance';

export function parseInterruptionNotice(body: string): InterruptionNotice {
  const data = parseObject(body, INSTANCE_ACTION_PATH);
  const { action, time } = data;
  if (!isSpotAction(action)) {
    throw new Error(`${INSTANCE_ACTION_PATH}: "action" must be terminate, stop or hibernate`);
  }
  return { action, time: requireTime(time, INSTANCE_ACTION_PATH, 'time') };
}

export function parseRebalanceRecommendation(body: string): RebalanceRecommendation {
  const data = parseObject(body, REBALANCE_PATH);
  return { noticeTime: requireTime(data.noticeTime, REBALANCE_PATH, 'noticeTime') };
}

function parseObject(body: string, path: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw new Error(`${path}: answer is not JSON`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new Error(`${path}: answer is not a JSON object`);
  }
  return data as Record<string, unknown>;
}

function requireTime(value: unknown, path: string, name: string): string {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    throw new Error(`${path}: "${name}" must be a timestamp`);
  }
  return value;
}

export interface SpotWatcherOptions {
  readonly imds: ImdsClient;
  readonly intervalMs: number;
  /** Called once, for the first valid interruption notice. */
  readonly onInterruption: (notice: InterruptionNotice) => void;
  /** Called once per distinct rebalance recommendation. */
  readonly onRebalance: (recommendation: RebalanceRecommendation) => void;
  /** Called when a poll fails; the watcher keeps polling. */
  readonly onError: (message: string) => void;
}

/**
 * Polls IMDS for Spot interruption notices and rebalance recommendations.
 * Polls never overlap: the next one is scheduled when the previous one has finished.
 */
export class SpotWatcher {
  private interruption: InterruptionNotice | undefined;
  private lastRebalance: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly options: SpotWatcherOptions) {}

  /** The interruption notice seen, if any; once seen it stays. */
  notice(): InterruptionNotice | undefined {
    return this.interruption;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.poll();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    // Interruption first: it is the one that takes the instance out of service.
    if (this.interruption === undefined) await this.check(INSTANCE_ACTION_PATH, (body) => this.sawInterruption(body));
    await this.check(REBALANCE_PATH, (body) => this.sawRebalance(body));
    if (this.running) this.timer = setTimeout(() => void this.poll(), this.options.intervalMs);
  }

  private async check(path: string, handle: (body: string) => void): Promise<void> {
    try {
      const body = await this.options.imds.get(path);
      // 404 is IMDS's way of saying "nothing scheduled".
      if (body !== undefined && this.running) handle(body);
    } catch (error) {
      this.options.onError(error instanceof Error ? error.message : String(error));
    }
  }

  private sawInterruption(body: string): void {
    this.interruption = parseInterruptionNotice(body);
    this.options.onInterruption(this.interruption);
  }

  private sawRebalance(body: string): void {
    const recommendation = parseRebalanceRecommendation(body);
    if (recommendation.noticeTime === this.lastRebalance) return;
    this.lastRebalance = recommendation.noticeTime;
    this.options.onRebalance(recommendation);
  }
}
