/**
 * CloudFormation intrinsic functions, resolved against values we already know (pseudo parameters,
 * parameters, resources deployed so far, conditions). Pure: no I/O, so every rule is unit-testable.
 */

export interface PseudoParameters {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly urlSuffix: string;
  readonly stackName: string;
  readonly stackId: string;
}

export interface ResolvedResource {
  /** What `Ref` returns. */
  readonly physicalId: string;
  /** What `Fn::GetAtt` returns, by attribute name. */
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface ResolveContext {
  readonly pseudo: PseudoParameters;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly resources: Readonly<Record<string, ResolvedResource>>;
  /** Evaluated conditions; `Fn::If` and `Condition` read these. */
  readonly conditions: Readonly<Record<string, boolean>>;
  /** What `Fn::GetAZs` returns for the stack's region. */
  readonly availabilityZones: readonly string[];
}

export class IntrinsicError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'IntrinsicError';
  }
}

/** `AWS::NoValue`: the property (or list element) it stands in for is removed. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

type Json = unknown;

function pseudoValue(name: string, pseudo: PseudoParameters): string | typeof NO_VALUE | undefined {
  switch (name) {
    case 'AWS::Region':
      return pseudo.region;
    case 'AWS::AccountId':
      return pseudo.accountId;
    case 'AWS::Partition':
      return pseudo.partition;
    case 'AWS::URLSuffix':
      return pseudo.urlSuffix;
    case 'AWS::StackName':
      return pseudo.stackName;
    case 'AWS::StackId':
      return pseudo.stackId;
    case 'AWS::NoValue':
      return NO_VALUE;
    default:
      return undefined;
  }
}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The intrinsic name when `value` is a single-key object such as `{ "Ref": "X" }`, else undefined. */
function intrinsicName(value: Json): string | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const [key] = keys as [string];
  return key === 'Ref' || key === 'Condition' || key.startsWith('Fn::') ? key : undefined;
}

function ref(name: Json, ctx: ResolveContext, path: string): Json {
  if (typeof name !== 'string') throw new IntrinsicError(path, `Ref expects a name, got ${JSON.stringify(name)}`);
  const pseudo = pseudoValue(name, ctx.pseudo);
  if (pseudo !== undefined) return pseudo;
  if (name.startsWith('AWS::')) throw new IntrinsicError(path, `unknown pseudo parameter "${name}"`);
  if (Object.hasOwn(ctx.parameters, name)) return ctx.parameters[name];
  const resource = ctx.resources[name];
  if (resource) return resource.physicalId;
  throw new IntrinsicError(path, `Ref to "${name}", which is neither a parameter nor a resource created so far`);
}

function getAtt(args: Json, ctx: ResolveContext, path: string): Json {
  let logicalId: Json;
  let attribute: Json;
  if (typeof args === 'string') {
    const dot = args.indexOf('.');
    [logicalId, attribute] = dot < 0 ? [args, undefined] : [args.slice(0, dot), args.slice(dot + 1)];
  } else if (Array.isArray(args) && args.length === 2) {
    [logicalId, attribute] = [args[0], resolveValue(args[1], ctx, `${path}[1]`)];
  }
  if (typeof logicalId !== 'string' || typeof attribute !== 'string') {
    throw new IntrinsicError(path, `Fn::GetAtt expects [logicalId, attribute], got ${JSON.stringify(args)}`);
  }
  const resource = ctx.resources[logicalId];
  if (!resource) throw new IntrinsicError(path, `Fn::GetAtt on "${logicalId}", which is not a resource created so far`);
  if (!Object.hasOwn(resource.attributes, attribute)) {
    const known = Object.keys(resource.attributes).join(', ') || 'none';
    throw new IntrinsicError(path, `"${logicalId}" has no attribute "${attribute}" (known: ${known})`);
  }
  return resource.attributes[attribute];
}

function expectString(value: Json, path: string, what: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new IntrinsicError(path, `${what} must resolve to a string, got ${JSON.stringify(value)}`);
}

function expectList(value: Json, path: string, what: string): Json[] {
  if (!Array.isArray(value)) throw new IntrinsicError(path, `${what} must resolve to a list, got ${JSON.stringify(value)}`);
  return value;
}

function expectArgs(args: Json, count: number, path: string, fn: string): Json[] {
  if (!Array.isArray(args) || args.length !== count) {
    throw new IntrinsicError(path, `${fn} expects a list of ${count} arguments, got ${JSON.stringify(args)}`);
  }
  return args;
}

const SUB_VARIABLE = /\$\{([^}]*)\}/g;

function sub(args: Json, ctx: ResolveContext, path: string): string {
  let template: Json;
  let variables: Record<string, Json> = {};
  if (typeof args === 'string') {
    template = args;
  } else if (Array.isArray(args) && args.length === 2 && isObject(args[1])) {
    template = args[0];
    variables = Object.fromEntries(
      Object.entries(args[1]).map(([k, v]) => [k, resolveValue(v, ctx, `${path}[1].${k}`)]),
    );
  }
  if (typeof template !== 'string') {
    throw new IntrinsicError(path, `Fn::Sub expects a string or [string, {variables}], got ${JSON.stringify(args)}`);
  }
  return template.replace(SUB_VARIABLE, (whole, name: string) => {
    // `${!Literal}` is CloudFormation's escape for a literal `${Literal}`.
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (Object.hasOwn(variables, name)) return expectString(variables[name], path, `Fn::Sub variable "${name}"`);
    const dot = name.indexOf('.');
    const value =
      dot < 0 || name.startsWith('AWS::')
        ? ref(name, ctx, path)
        : getAtt([name.slice(0, dot), name.slice(dot + 1)], ctx, path);
    return expectString(value, path, `Fn::Sub ${whole}`);
  });
}

function condition(name: Json, ctx: ResolveContext, path: string): boolean {
  if (typeof name !== 'string' || !Object.hasOwn(ctx.conditions, name)) {
    throw new IntrinsicError(path, `unknown condition ${JSON.stringify(name)}`);
  }
  return ctx.conditions[name] as boolean;
}

function expectBoolean(value: Json, path: string, fn: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new IntrinsicError(path, `${fn} needs conditions that evaluate to true or false, got ${JSON.stringify(value)}`);
}

function conditionList(args: Json, ctx: ResolveContext, path: string, fn: string): boolean[] {
  if (!Array.isArray(args) || args.length < 1) throw new IntrinsicError(path, `${fn} expects a list of conditions`);
  return args.map((a, i) => expectBoolean(resolveValue(a, ctx, `${path}[${i}]`), `${path}[${i}]`, fn));
}

function callIntrinsic(name: string, args: Json, ctx: ResolveContext, path: string): Json {
  const at = `${path}.${name}`;
  switch (name) {
    case 'Ref':
      return ref(args, ctx, at);
    case 'Fn::GetAtt':
      return getAtt(args, ctx, at);
    case 'Fn::Join': {
      const [delimiter, list] = expectArgs(args, 2, at, name);
      if (typeof delimiter !== 'string') throw new IntrinsicError(at, 'Fn::Join delimiter must be a string');
      const items = expectList(resolveValue(list, ctx, `${at}[1]`), `${at}[1]`, 'Fn::Join list');
      return items.map((item, i) => expectString(item, `${at}[1][${i}]`, 'Fn::Join item')).join(delimiter);
    }
    case 'Fn::Sub':
      return sub(args, ctx, at);
    case 'Fn::Select': {
      const [indexArg, listArg] = expectArgs(args, 2, at, name);
      const index = Number(resolveValue(indexArg, ctx, `${at}[0]`));
      const list = expectList(resolveValue(listArg, ctx, `${at}[1]`), `${at}[1]`, 'Fn::Select list');
      if (!Number.isInteger(index) || index < 0 || index >= list.length) {
        throw new IntrinsicError(at, `Fn::Select index ${JSON.stringify(indexArg)} is outside a list of ${list.length}`);
      }
      return list[index];
    }
    case 'Fn::Split': {
      const [delimiter, source] = expectArgs(args, 2, at, name);
      if (typeof delimiter !== 'string' || delimiter === '') throw new IntrinsicError(at, 'Fn::Split delimiter must be a non-empty string');
      return expectString(resolveValue(source, ctx, `${at}[1]`), `${at}[1]`, 'Fn::Split source').split(delimiter);
    }
    case 'Fn::GetAZs': {
      const region = resolveValue(args, ctx, at);
      if (region !== '' && region !== ctx.pseudo.region) {
        throw new IntrinsicError(at, `Fn::GetAZs for region ${JSON.stringify(region)}; only the stack's region (${ctx.pseudo.region}) is known`);
      }
      return [...ctx.availabilityZones];
    }
    case 'Fn::Base64':
      return Buffer.from(expectString(resolveValue(args, ctx, at), at, 'Fn::Base64 input'), 'utf8').toString('base64');
    case 'Fn::If': {
      const [cond, whenTrue, whenFalse] = expectArgs(args, 3, at, name);
      return condition(cond, ctx, `${at}[0]`)
        ? resolveValue(whenTrue, ctx, `${at}[1]`)
        : resolveValue(whenFalse, ctx, `${at}[2]`);
    }
    case 'Condition':
      return condition(args, ctx, at);
    case 'Fn::Equals': {
      const [a, b] = expectArgs(args, 2, at, name).map((v, i) => resolveValue(v, ctx, `${at}[${i}]`));
      return JSON.stringify(a) === JSON.stringify(b);
    }
    case 'Fn::Not': {
      const [only] = expectArgs(args, 1, at, name);
      return !expectBoolean(resolveValue(only, ctx, `${at}[0]`), at, name);
    }
    case 'Fn::And':
      return conditionList(args, ctx, at, name).every(Boolean);
    case 'Fn::Or':
      return conditionList(args, ctx, at, name).some(Boolean);
    default:
      throw new IntrinsicError(at, `unsupported intrinsic function "${name}"`);
  }
}

/**
 * Resolves every intrinsic inside `value`. `path` names where the value sits (for example
 * `Resources.MyQueue.Properties.QueueName`) so errors point at the template. `AWS::NoValue` removes the
 * property or list element; at the top level it comes back as `NO_VALUE`.
 */
export function resolveValue(value: Json, ctx: ResolveContext, path: string): Json {
  const fn = intrinsicName(value);
  if (fn) return callIntrinsic(fn, (value as Record<string, Json>)[fn], ctx, path);
  if (Array.isArray(value)) {
    return value.map((item, i) => resolveValue(item, ctx, `${path}[${i}]`)).filter((item) => item !== NO_VALUE);
  }
  if (isObject(value)) {
    const out: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = resolveValue(item, ctx, `${path}.${key}`);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }
  return value;
}

/**
 * Evaluates the template's Conditions section. Conditions may refer to one another (`{ "Condition": "X" }`),
 * so each is evaluated on demand, with a cycle check.
 */
export function evaluateConditions(
  section: Readonly<Record<string, Json>> | undefined,
  ctx: Omit<ResolveContext, 'conditions'>,
): Record<string, boolean> {
  const definitions = section ?? {};
  const results: Record<string, boolean> = {};
  const inProgress = new Set<string>();
  const conditions = new Proxy(results, {
    // Object.hasOwn asks for the descriptor: answer for every defined condition, evaluating it lazily.
    getOwnPropertyDescriptor: (_, name) =>
      typeof name === 'string' && Object.hasOwn(definitions, name)
        ? { value: evaluate(name), enumerable: true, configurable: true, writable: true }
        : undefined,
    get: (_, name) => (typeof name === 'string' ? evaluate(name) : undefined),
  });
  function evaluate(name: string): boolean {
    if (Object.hasOwn(results, name)) return results[name] as boolean;
    if (!Object.hasOwn(definitions, name)) throw new IntrinsicError(`Conditions.${name}`, 'no such condition');
    if (inProgress.has(name)) throw new IntrinsicError(`Conditions.${name}`, 'condition refers to itself');
    inProgress.add(name);
    const path = `Conditions.${name}`;
    results[name] = expectBoolean(resolveValue(definitions[name], { ...ctx, conditions }, path), path, 'a condition');
    inProgress.delete(name);
    return results[name];
  }
  for (const name of Object.keys(definitions)) evaluate(name);
  return { ...results };
}
