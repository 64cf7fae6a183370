import { randomBytes } from 'node:crypto';

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomSuffix(length: number): string {
  return [...randomBytes(length)].map((b) => SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length]).join('');
}

/**
 * A generated physical name as CloudFormation makes them: `<stack>-<logicalId>-<random>`, the stack and
 * logical id shortened when the service's limit requires. Random like CloudFormation's, so a second
 * deployment into the same emulator does not collide with the first.
 */
export function physicalName(
  stackName: string,
  logicalId: string,
  maxLength: number,
  opts: { alphanumericAndHyphens?: boolean; suffix?: string } = {},
): string {
  const clean = (s: string) => (opts.alphanumericAndHyphens ? s.replace(/[^A-Za-z0-9-]/g, '') : s);
  const suffix = opts.suffix ?? randomSuffix(maxLength >= 64 ? 12 : 8);
  const budget = maxLength - suffix.length - 2;
  if (budget < 2) throw new Error(`A physical name of at most ${maxLength} characters has no room for stack and logical id`);
  let stack = clean(stackName);
  let id = clean(logicalId);
  if (stack.length + id.length > budget) {
    const stackShare = Math.max(1, Math.min(stack.length, Math.floor(budget / 2)));
    stack = stack.slice(0, stackShare);
    id = id.slice(0, budget - stack.length);
  }
  return `${stack}-${id}-${suffix}`;
}
