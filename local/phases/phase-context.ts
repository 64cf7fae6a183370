import type { SimulatedClock } from '../clock.js';
import type { LocalStack } from './deploy-stack.js';

/** What every phase after the deployment works with. */
export interface PhaseContext {
  /** The deployed stack, its AWS endpoint and the clients for it. */
  readonly stack: LocalStack;
  /** The one clock every component keeps AWS's intervals on. */
  readonly clock: SimulatedClock;
  readonly region: string;
  /** Progress and runtime messages for a human. */
  readonly log: (line: string) => void;
  /** Instance and Lambda log lines (noisy). */
  readonly verbose: (line: string) => void;
}
