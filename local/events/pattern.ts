/**
 * EventBridge event-pattern matching, played locally because moto's TestEventPattern answers nothing and its
 * PutEvents cannot reach Lambda or SNS targets.
 *
 * Semantics follow the EventBridge user guide (event patterns, arrays, content filtering):
 * - every leaf of a pattern is an array of alternatives (OR); sibling fields are ANDed;
 * - an event array matches when any of its elements matches;
 * - a pattern field absent from the event never matches, except `{"exists": false}`;
 * - `exists` looks at leaves only: a field holding an object counts as absent.
 * Arrays of objects in the event are matched element by element (a nested pattern must match within one
 * element); EventBridge flattens them instead, which only differs for patterns combining fields across elements.
 *
 * Patterns are validated when compiled: a malformed or unsupported operator throws EventPatternError rather
 * than silently matching or not matching.
 */

export class EventPatternError extends Error {
  constructor(path: string, message: string) {
    super(`Invalid event pattern at ${path || '<root>'}: ${message}`);
    this.name = 'EventPatternError';
  }
}

export type EventMatcher = (event: unknown) => boolean;

/** Validates `pattern` once and returns a matcher to run against many events. */
export function compileEventPattern(pattern: unknown): EventMatcher {
  const parsed = typeof pattern === 'string' ? parseJsonPattern(pattern) : pattern;
  if (!isPlainObject(parsed)) throw new EventPatternError('', 'a pattern must be a JSON object');
  const matchObject = compileObject(parsed, '');
  return (event) => matchObject(event);
}

/** True if `event` matches `pattern` (an object, or its JSON text as stored in a rule's EventPattern). */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  return compileEventPattern(pattern)(event);
}

type NodeMatcher = (node: unknown) => boolean;
/** Decides on the leaf values found at one field (empty when the field is absent). */
type LeafMatcher = (leaves: readonly unknown[]) => boolean;
type ValueTest = (value: unknown) => boolean;

function parseJsonPattern(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new EventPatternError('', `not valid JSON (${(err as Error).message})`);
  }
}

function compileObject(pattern: Record<string, unknown>, path: string): NodeMatcher {
  const entries = Object.entries(pattern);
  if (entries.length === 0) throw new EventPatternError(path, 'an object in a pattern must not be empty');
  const fieldMatchers = entries.map(([key, value]) => compileField(key, value, join(path, key)));
  return (node) => fieldMatchers.every((match) => match(node));
}

function compileField(key: string, value: unknown, path: string): NodeMatcher {
  if (key === '$or') return compileOr(value, path);
  if (Array.isArray(value)) {
    const matchLeaves = compileLeaf(value, path);
    return (node) => matchLeaves(leafValues(childOf(node, key)));
  }
  if (isPlainObject(value)) {
    const matchNested = compileObject(value, path);
    return (node) => {
      const child = childOf(node, key);
      if (Array.isArray(child) && child.length > 0) return child.some((element) => matchNested(element));
      return matchNested(child);
    };
  }
  throw new EventPatternError(path, `expected an array of values or a nested object, got ${describe(value)}`);
}

function compileOr(value: unknown, path: string): NodeMatcher {
  if (!Array.isArray(value) || value.length < 2) {
    throw new EventPatternError(path, '"$or" needs an array of at least two patterns');
  }
  const alternatives = value.map((alternative, i) => {
    if (!isPlainObject(alternative)) throw new EventPatternError(`${path}[${i}]`, '"$or" alternatives must be objects');
    return compileObject(alternative, `${path}[${i}]`);
  });
  return (node) => alternatives.some((match) => match(node));
}

function compileLeaf(alternatives: unknown[], path: string): LeafMatcher {
  if (alternatives.length === 0) throw new EventPatternError(path, 'an array of values must not be empty');
  const tests = alternatives.map((alternative, i) => compileAlternative(alternative, `${path}[${i}]`));
  return (leaves) => tests.some((test) => test(leaves));
}

function compileAlternative(alternative: unknown, path: string): LeafMatcher {
  if (isScalar(alternative)) return anyLeaf((value) => value === alternative);
  if (!isPlainObject(alternative)) {
    throw new EventPatternError(path, `expected a value or a content filter, got ${describe(alternative)}`);
  }
  const keys = Object.keys(alternative);
  if (keys.length !== 1) {
    throw new EventPatternError(path, `a content filter has exactly one operator, got ${JSON.stringify(keys)}`);
  }
  const operator = keys[0]!;
  const operand = alternative[operator];
  const at = join(path, operator);
  switch (operator) {
    case 'exists':
      if (typeof operand !== 'boolean') throw new EventPatternError(at, '"exists" takes true or false');
      return operand ? (leaves) => leaves.length > 0 : (leaves) => leaves.length === 0;
    case 'prefix':
      return anyLeaf(compileAffix(operand, at, 'prefix'));
    case 'suffix':
      return anyLeaf(compileAffix(operand, at, 'suffix'));
    case 'equals-ignore-case':
      return anyLeaf(compileEqualsIgnoreCase(operand, at));
    case 'wildcard':
      return anyLeaf(compileWildcard(operand, at));
    case 'anything-but':
      return anyLeaf(compileAnythingBut(operand, at));
    case 'numeric':
      return anyLeaf(compileNumeric(operand, at));
    case 'cidr':
      return anyLeaf(compileCidr(operand, at));
    default:
      throw new EventPatternError(at, `unsupported operator "${operator}"`);
  }
}

function anyLeaf(test: ValueTest): LeafMatcher {
  return (leaves) => leaves.some(test);
}

/** `"x"` or `{"equals-ignore-case": "x"}`, as prefix and suffix accept. */
function compileAffix(operand: unknown, path: string, kind: 'prefix' | 'suffix'): ValueTest {
  const ignoreCase = isPlainObject(operand);
  const text = ignoreCase ? singleOperand(operand, 'equals-ignore-case', path) : operand;
  if (typeof text !== 'string') throw new EventPatternError(path, `"${kind}" takes a string`);
  const wanted = ignoreCase ? text.toLowerCase() : text;
  return (value) => {
    if (typeof value !== 'string') return false;
    const candidate = ignoreCase ? value.toLowerCase() : value;
    return kind === 'prefix' ? candidate.startsWith(wanted) : candidate.endsWith(wanted);
  };
}

function compileEqualsIgnoreCase(operand: unknown, path: string): ValueTest {
  const wanted = stringList(operand, path, 'equals-ignore-case').map((s) => s.toLowerCase());
  return (value) => typeof value === 'string' && wanted.includes(value.toLowerCase());
}

function compileWildcard(operand: unknown, path: string): ValueTest {
  const regexes = stringList(operand, path, 'wildcard').map((glob) => wildcardRegex(glob, path));
  return (value) => typeof value === 'string' && regexes.some((re) => re.test(value));
}

/** `*` matches any run of characters; `\*` and `\\` are literal. Consecutive wildcards are rejected as by AWS. */
function wildcardRegex(glob: string, path: string): RegExp {
  if (glob.includes('**')) throw new EventPatternError(path, `"wildcard" must not contain consecutive "*": ${glob}`);
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '\\') {
      const next = glob[i + 1];
      if (next !== '*' && next !== '\\') throw new EventPatternError(path, `"wildcard" has a stray backslash: ${glob}`);
      source += escapeRegex(next);
      i++;
    } else {
      source += ch === '*' ? '.*' : escapeRegex(ch);
    }
  }
  return new RegExp(`^${source}$`, 's');
}

function compileAnythingBut(operand: unknown, path: string): ValueTest {
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1) throw new EventPatternError(path, `"anything-but" takes one operator, got ${JSON.stringify(keys)}`);
    const inner = keys[0]!;
    const innerPath = join(path, inner);
    let excluded: ValueTest;
    if (inner === 'prefix' || inner === 'suffix') {
      excluded = compileAffix(operand[inner], innerPath, inner);
    } else if (inner === 'equals-ignore-case') {
      excluded = compileEqualsIgnoreCase(operand[inner], innerPath);
    } else if (inner === 'wildcard') {
      excluded = compileWildcard(operand[inner], innerPath);
    } else {
      throw new EventPatternError(innerPath, `unsupported operator inside "anything-but": "${inner}"`);
    }
    // Those operators only speak of strings, so only a string can be "anything but" them.
    return (value) => typeof value === 'string' && !excluded(value);
  }
  const list: unknown[] = Array.isArray(operand) ? operand : [operand];
  if (list.length === 0) throw new EventPatternError(path, '"anything-but" must not be an empty list');
  const types = new Set(list.map((v) => typeof v));
  if (types.size !== 1 || !(types.has('string') || types.has('number'))) {
    throw new EventPatternError(path, '"anything-but" takes a string, a number, or a list of only strings or only numbers');
  }
  return (value) => !list.includes(value);
}

const LOWER_BOUNDS = new Set(['>', '>=']);
const UPPER_BOUNDS = new Set(['<', '<=']);

function compileNumeric(operand: unknown, path: string): ValueTest {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    throw new EventPatternError(path, '"numeric" takes [op, n] or [op, n, op, n]');
  }
  const comparisons: Array<[string, number]> = [];
  for (let i = 0; i < operand.length; i += 2) {
    const op = operand[i];
    const bound = operand[i + 1];
    if (typeof op !== 'string' || !['<', '<=', '=', '>', '>='].includes(op)) {
      throw new EventPatternError(path, `unknown numeric operator ${JSON.stringify(op)}`);
    }
    if (typeof bound !== 'number' || !Number.isFinite(bound)) {
      throw new EventPatternError(path, `numeric operator "${op}" needs a finite number, got ${JSON.stringify(bound)}`);
    }
    comparisons.push([op, bound]);
  }
  if (comparisons.length === 2) {
    const [[first], [second]] = comparisons as [[string, number], [string, number]];
    const isRange = (LOWER_BOUNDS.has(first) && UPPER_BOUNDS.has(second)) || (UPPER_BOUNDS.has(first) && LOWER_BOUNDS.has(second));
    if (!isRange) throw new EventPatternError(path, '"numeric" with two comparisons must be one lower and one upper bound');
  }
  return (value) => typeof value === 'number' && comparisons.every(([op, bound]) => compare(value, op, bound));
}

function compare(value: number, op: string, bound: number): boolean {
  switch (op) {
    case '<': return value < bound;
    case '<=': return value <= bound;
    case '=': return value === bound;
    case '>': return value > bound;
    default: return value >= bound;
  }
}

function compileCidr(operand: unknown, path: string): ValueTest {
  if (typeof operand !== 'string') throw new EventPatternError(path, '"cidr" takes a string like "10.0.0.0/24"');
  const match = /^([0-9.]+)\/(\d{1,2})$/.exec(operand);
  const network = match ? parseIpv4(match[1]!) : undefined;
  const bits = match ? Number(match[2]) : NaN;
  if (network === undefined || !(bits >= 0 && bits <= 32)) {
    throw new EventPatternError(path, `"cidr" supports IPv4 ranges only here, got ${JSON.stringify(operand)}`);
  }
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (value) => {
    const address = typeof value === 'string' ? parseIpv4(value) : undefined;
    return address !== undefined && ((address & mask) >>> 0) === ((network & mask) >>> 0);
  };
}

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
}

function singleOperand(operand: Record<string, unknown>, expected: string, path: string): unknown {
  const keys = Object.keys(operand);
  if (keys.length !== 1 || keys[0] !== expected) {
    throw new EventPatternError(path, `expected {"${expected}": ...}, got ${JSON.stringify(operand)}`);
  }
  return operand[expected];
}

function stringList(operand: unknown, path: string, operator: string): string[] {
  const list = Array.isArray(operand) ? operand : [operand];
  if (list.length === 0 || !list.every((v): v is string => typeof v === 'string')) {
    throw new EventPatternError(path, `"${operator}" takes a string or a non-empty list of strings`);
  }
  return list;
}

/** Leaf values at a field: arrays are flattened, objects are not leaves, absent gives none. */
function leafValues(value: unknown): unknown[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap(leafValues);
  if (isPlainObject(value)) return [];
  return [value];
}

function childOf(node: unknown, key: string): unknown {
  return isPlainObject(node) && Object.hasOwn(node, key) ? node[key] : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean | null {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
