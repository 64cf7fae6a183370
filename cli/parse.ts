import { InvalidArgumentError } from 'commander';

/** `500ms`, `30s`, `2m`, `1h` or a bare number of seconds, in milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`expected a duration such as 30s, 2m or 500ms, got "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(m[1]) * unit;
  if (ms <= 0) throw new InvalidArgumentError(`expected a duration above zero, got "${text}"`);
  return ms;
}

export function parsePositiveNumber(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number above zero, got "${text}"`);
  return n;
}

export function parsePositiveInteger(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got "${text}"`);
  return n;
}

/** A TCP port, 0 meaning any free one. */
export function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port number (0 for any free port), got "${text}"`);
  return n;
}

/** `--instance` may be repeated or comma-separated. */
export function collectInstanceIds(text: string, previous: string[] = []): string[] {
  const ids = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of ids) if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw new InvalidArgumentError(`expected an instance id such as i-0123456789abcdef0, got "${id}"`);
  return [...previous, ...ids];
}

/** FIS's durationBeforeInterruption: PT2M to PT15M. */
export function parseFisDuration(text: string): string {
  const m = /^PT(\d+)M$/.exec(text);
  if (!m || Number(m[1]) < 2 || Number(m[1]) > 15) throw new InvalidArgumentError(`expected PT2M to PT15M, got "${text}"`);
  return text;
}
