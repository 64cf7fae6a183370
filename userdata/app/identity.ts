import type { ImdsClient } from './imds-client.js';

export const UNKNOWN = 'unknown';

/** Who this instance is; a field IMDS could not tell (yet) reads `unknown`. */
export interface InstanceIdentity {
  readonly instanceId: string;
  readonly availabilityZone: string;
  readonly instanceType: string;
  readonly lifecycle: string;
}

export const UNKNOWN_IDENTITY: InstanceIdentity = {
  instanceId: UNKNOWN,
  availabilityZone: UNKNOWN,
  instanceType: UNKNOWN,
  lifecycle: UNKNOWN,
};

// What each field looks like when IMDS answers sensibly; anything else is treated as not known.
const FIELDS: ReadonlyArray<{ key: keyof InstanceIdentity; path: string; pattern: RegExp }> = [
  { key: 'instanceId', path: 'instance-id', pattern: /^i-[0-9a-f]{8,32}$/ },
  { key: 'availabilityZone', path: 'placement/availability-zone', pattern: /^[a-z]{2}-[a-z0-9-]{3,40}$/ },
  { key: 'instanceType', path: 'instance-type', pattern: /^[a-z0-9-]{1,20}\.[a-z0-9-]{1,20}$/ },
  { key: 'lifecycle', path: 'instance-life-cycle', pattern: /^[a-z-]{1,32}$/ },
];

/** The value of one identity field from IMDS's raw answer, or UNKNOWN if it is missing or not plausible. */
export function parseIdentityField(key: keyof InstanceIdentity, raw: string | undefined): string {
  const field = FIELDS.find((f) => f.key === key);
  if (field === undefined) throw new Error(`no identity field ${String(key)}`);
  const value = raw?.trim();
  return value !== undefined && field.pattern.test(value) ? value : UNKNOWN;
}

export function isComplete(identity: InstanceIdentity): boolean {
  return Object.values(identity).every((value) => value !== UNKNOWN);
}

export interface IdentityReading {
  readonly identity: InstanceIdentity;
  /** One line per field that could not be read, for the log. */
  readonly problems: readonly string[];
}

/** Reads every identity field in parallel; a field that fails is UNKNOWN, never an exception. */
export async function readIdentity(imds: ImdsClient): Promise<IdentityReading> {
  const problems: string[] = [];
  const values = await Promise.all(
    FIELDS.map(async ({ key, path }) => {
      try {
        const raw = await imds.get(path);
        const value = parseIdentityField(key, raw);
        if (value === UNKNOWN) problems.push(`${path}: ${raw === undefined ? 'not found' : 'implausible answer'}`);
        return [key, value] as const;
      } catch (error) {
        problems.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
        return [key, UNKNOWN] as const;
      }
    }),
  );
  return { identity: { ...UNKNOWN_IDENTITY, ...Object.fromEntries(values) }, problems };
}

export interface IdentityTrackerOptions {
  readonly imds: ImdsClient;
  /** Pause between attempts while some field is still unknown. */
  readonly retryMs: number;
  /** Called after each attempt. */
  readonly onReading: (reading: IdentityReading) => void;
}

/**
 * Holds the best identity known so far and keeps asking IMDS until every field is known.
 * A field once known is kept: a later bad answer does not turn it back into UNKNOWN.
 */
export class IdentityTracker {
  private identity: InstanceIdentity = UNKNOWN_IDENTITY;
  private firstAttempt: Promise<InstanceIdentity> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: IdentityTrackerOptions) {}

  current(): InstanceIdentity {
    return this.identity;
  }

  /**
   * The identity once the first attempt has finished. Later retries are not waited for: with IMDS
   * unwell, every request would otherwise pay its timeouts.
   */
  settled(): Promise<InstanceIdentity> {
    return this.firstAttempt ?? Promise.resolve(this.identity);
  }

  start(): void {
    this.stopped = false;
    const first = this.runAttempt();
    this.firstAttempt = first;
    void first.then(() => {
      if (this.firstAttempt === first) this.firstAttempt = undefined;
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private runAttempt(): Promise<InstanceIdentity> {
    return readIdentity(this.options.imds).then((reading) => {
      this.identity = mergeKnown(this.identity, reading.identity);
      this.options.onReading({ identity: this.identity, problems: reading.problems });
      if (!isComplete(this.identity) && !this.stopped) {
        this.timer = setTimeout(() => void this.runAttempt(), this.options.retryMs);
      }
      return this.identity;
    });
  }
}

function mergeKnown(known: InstanceIdentity, fresh: InstanceIdentity): InstanceIdentity {
  const pick = (key: keyof InstanceIdentity): string => (known[key] !== UNKNOWN ? known[key] : fresh[key]);
  return {
    instanceId: pick('instanceId'),
    availabilityZone: pick('availabilityZone'),
    instanceType: pick('instanceType'),
    lifecycle: pick('lifecycle'),
  };
}
