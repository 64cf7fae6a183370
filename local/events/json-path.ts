/**
 * The JSON-path subset EventBridge accepts in InputPath and InputPathsMap: `$`, dot notation (names may hold
 * dashes, underscores and slashes), array indices `[n]` and wildcards `.*` / `[*]`.
 */

export class JsonPathError extends Error {
  constructor(path: string, message: string) {
    super(`Invalid JSON path ${JSON.stringify(path)}: ${message}`);
    this.name = 'JsonPathError';
  }
}

type Step = { kind: 'name'; name: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

const STEP = /^(?:\.([^.[\]*]+)|\[(\d+)\]|\.\*|\[\*\])/;

export function parseJsonPath(path: string): readonly Step[] {
  if (!path.startsWith('$')) throw new JsonPathError(path, 'must start with "$"');
  const steps: Step[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const match = STEP.exec(rest);
    if (!match) throw new JsonPathError(path, `cannot read ${JSON.stringify(rest)} (use dot names, [n] or *)`);
    if (match[1] !== undefined) steps.push({ kind: 'name', name: match[1] });
    else if (match[2] !== undefined) steps.push({ kind: 'index', index: Number(match[2]) });
    else steps.push({ kind: 'wildcard' });
    rest = rest.slice(match[0].length);
  }
  return steps;
}

/**
 * The value at `path` in `document`, or undefined when the path leads nowhere. A wildcard yields an array of
 * what each element gives (elements leading nowhere are left out).
 */
export function evaluateJsonPath(path: string, document: unknown): unknown {
  return walk(parseJsonPath(path), document);
}

function walk(steps: readonly Step[], node: unknown): unknown {
  if (steps.length === 0 || node === undefined) return node;
  const [step, ...rest] = steps as [Step, ...Step[]];
  switch (step.kind) {
    case 'name':
      return typeof node === 'object' && node !== null && !Array.isArray(node) && Object.hasOwn(node, step.name)
        ? walk(rest, (node as Record<string, unknown>)[step.name])
        : undefined;
    case 'index':
      return Array.isArray(node) ? walk(rest, node[step.index]) : undefined;
    case 'wildcard': {
      if (typeof node !== 'object' || node === null) return undefined;
      const children = Array.isArray(node) ? node : Object.values(node);
      return children.map((child) => walk(rest, child)).filter((value) => value !== undefined);
    }
  }
}
