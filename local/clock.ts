/**
 * Simulated time: the local cloud can compress AWS's intervals (the two-minute warning, the deregistration delay,
 * health checks, EventBridge's retry back-off, autoscaling's one-minute datapoints) by one scale, so a
 * demonstration that takes minutes on AWS takes seconds here. Every component receives the one clock the wiring
 * creates; none multiplies by the scale itself, so nothing can be scaled twice or not at all.
 */

/** Injected for tests: a clock that moves only when the code under test sleeps. */
export interface ClockDeps {
  /** Real epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** Waits `realMs` real milliseconds. @default setTimeout */
  readonly sleep?: (realMs: number) => Promise<void>;
}

export class SimulatedClock {
  /**
   * Throws a RangeError unless `scale` is a number in (0, 1]: 1 is real time, 0.05 makes two minutes 6 s.
   * Time is only ever compressed: a slower-than-real AWS would hide the races this project must survive.
   * @param name how the value is called where it came from (a CLI flag, an option), for the message.
   * @param given the value as the user typed it, for the message.
   */
  static check(scale: number, name = 'timeScale', given = String(scale)): void {
    if (!(Number.isFinite(scale) && scale > 0 && scale <= 1)) {
      throw new RangeError(`${name} must be a number greater than 0 and at most 1, got "${given}"`);
    }
  }

  private readonly nowFn: () => number;
  private readonly sleepFn: (realMs: number) => Promise<void>;

  /** @param scale real milliseconds per AWS millisecond, in (0, 1] (see `check`). */
  constructor(
    readonly scale: number = 1,
    deps: ClockDeps = {},
  ) {
    SimulatedClock.check(scale);
    this.nowFn = deps.now ?? Date.now;
    this.sleepFn = deps.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  }

  /** An AWS duration (ms) as the real duration it lasts here (ms, unrounded). */
  toReal(awsMs: number): number {
    return awsMs * this.scale;
  }

  /** A real duration (ms) as the AWS duration it stands for (ms). */
  toAws(realMs: number): number {
    return realMs / this.scale;
  }

  /** Real epoch milliseconds (timestamps stay real: they are compared with other processes' clocks). */
  now(): number {
    return this.nowFn();
  }

  /** Waits for an AWS duration (ms), i.e. its real equivalent. */
  sleep(awsMs: number): Promise<void> {
    return this.sleepFn(this.toReal(awsMs));
  }
}

/** Real time, for components used outside a compressed local cloud. */
export const REAL_TIME = new SimulatedClock(1);
