import { type EC2Client, ModifySpotFleetRequestCommand } from '@aws-sdk/client-ec2';
import type { SimulatedClock } from '../clock.js';
import { scalingDecision, SCALE_IN_DATAPOINTS, type TrackingPolicy } from './target-tracking.js';

export interface FleetAutoscalerProps {
  readonly ec2: EC2Client;
  readonly fleetRequestId: string;
  /** Cooldowns in AWS milliseconds, as the stack states them. */
  readonly policy: TrackingPolicy;
  /** A datapoint is one AWS minute on this clock; cooldowns are kept on it too. */
  readonly clock: SimulatedClock;
  /** The load balancer's ALBRequestCountPerTarget over the last `windowMs` real milliseconds. */
  readonly requestCountPerTarget: (windowMs: number) => number;
  /** The fleet's current target capacity. */
  readonly currentCapacity: () => number;
  /** After each change; `reason` says which alarm or bound decided it ("below minCapacity 2"). */
  readonly onScale?: (from: number, to: number, requestsPerTarget: number, reason: string) => void;
  readonly onError?: (err: Error) => void;
}

/**
 * Application Auto Scaling played locally: every (scaled) minute it turns the ALB's request counter into the
 * `ALBRequestCountPerTarget` datapoint and changes the fleet's capacity with ModifySpotFleetRequest, the same
 * call AWS makes, through the same endpoint every other client uses.
 */
export class FleetAutoscaler {
  private readonly datapoints: number[] = [];
  private lastScaleOutAt?: number;
  private lastScaleInAt?: number;
  private timer?: NodeJS.Timeout;

  /** The policy with its cooldowns in real milliseconds, as `now` is. */
  private readonly policy: TrackingPolicy;

  constructor(private readonly props: FleetAutoscalerProps) {
    const { policy, clock } = props;
    this.policy = { ...policy, scaleOutCooldownMs: clock.toReal(policy.scaleOutCooldownMs), scaleInCooldownMs: clock.toReal(policy.scaleInCooldownMs) };
  }

  /** One datapoint's period, in real milliseconds. */
  get periodMs(): number {
    return this.props.clock.toReal(60_000);
  }

  start(): void {
    this.timer = setInterval(() => {
      this.evaluate().catch((err: Error) => this.props.onError?.(err));
    }, this.periodMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async evaluate(now = this.props.clock.now()): Promise<void> {
    const { props } = this;
    // The metric is requests per target per real minute: the time scale compresses the control loop, not the
    // traffic, so a compressed minute's count is scaled back up to a minute's worth.
    const perTarget = (props.requestCountPerTarget(this.periodMs) * 60_000) / this.periodMs;
    this.datapoints.push(perTarget);
    if (this.datapoints.length > SCALE_IN_DATAPOINTS) this.datapoints.shift();
    const current = props.currentCapacity();
    const decision = scalingDecision(this.policy, current, { datapoints: this.datapoints, lastScaleOutAt: this.lastScaleOutAt, lastScaleInAt: this.lastScaleInAt }, now);
    const desired = decision.capacity;
    if (desired === current) return;
    await props.ec2.send(new ModifySpotFleetRequestCommand({ SpotFleetRequestId: props.fleetRequestId, TargetCapacity: desired }));
    if (desired > current) this.lastScaleOutAt = now;
    else this.lastScaleInAt = now;
    this.datapoints.length = 0;
    props.onScale?.(current, desired, perTarget, decision.reason);
  }
}
