/**
 * Deployment order: which resources must exist before which. Pure; reads only the template.
 */

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | readonly string[];
  readonly Condition?: string;
  readonly Metadata?: Record<string, unknown>;
}

export class DependencyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DependencyError';
  }
}

const SUB_VARIABLE = /\$\{([^}!][^}]*)\}/g;

/** Names referenced from `value` through Ref, Fn::GetAtt and Fn::Sub (pseudo parameters excluded). */
export function referencedNames(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedNames(item, found);
    return found;
  }
  if (typeof value !== 'object' || value === null) return found;
  for (const [key, arg] of Object.entries(value)) {
    if (key === 'Ref' && typeof arg === 'string') found.add(arg);
    else if (key === 'Fn::GetAtt' && Array.isArray(arg) && typeof arg[0] === 'string') found.add(arg[0]);
    else if (key === 'Fn::GetAtt' && typeof arg === 'string') found.add(arg.split('.')[0] as string);
    else if (key === 'Fn::Sub') {
      const [template, variables] = Array.isArray(arg) ? arg : [arg, {}];
      const local = new Set(Object.keys((variables as object) ?? {}));
      if (typeof template === 'string') {
        for (const match of template.matchAll(SUB_VARIABLE)) {
          const name = (match[1] as string).split('.')[0] as string;
          if (!local.has(name)) found.add(name);
        }
      }
      referencedNames(variables, found);
      continue;
    }
    referencedNames(arg, found);
  }
  for (const name of found) if (name.startsWith('AWS::')) found.delete(name);
  return found;
}

function dependsOnList(resource: TemplateResource): readonly string[] {
  const { DependsOn } = resource;
  return DependsOn === undefined ? [] : typeof DependsOn === 'string' ? [DependsOn] : DependsOn;
}

/**
 * For each resource, the other resources it needs first. References to names that are not resources
 * (parameters) are left out; a DependsOn naming an unknown resource is an error.
 */
export function dependencyGraph(resources: Readonly<Record<string, TemplateResource>>): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    const needs = new Set<string>();
    for (const name of referencedNames(resource.Properties ?? {})) if (Object.hasOwn(resources, name)) needs.add(name);
    for (const name of dependsOnList(resource)) {
      if (!Object.hasOwn(resources, name)) {
        throw new DependencyError(`Resources.${logicalId}.DependsOn names "${name}", which is not a resource in the template`);
      }
      needs.add(name);
    }
    if (needs.has(logicalId)) throw new DependencyError(`Resources.${logicalId} depends on itself`);
    graph.set(logicalId, needs);
  }
  return graph;
}

/** One cycle through the still-blocked resources, for the error message. */
function findCycle(blocked: ReadonlyMap<string, Set<string>>): string[] {
  let node = blocked.keys().next().value as string;
  const seen: string[] = [];
  while (!seen.includes(node)) {
    seen.push(node);
    node = [...(blocked.get(node) as Set<string>)].find((n) => blocked.has(n)) as string;
  }
  return [...seen.slice(seen.indexOf(node)), node];
}

/**
 * Waves of resources: every resource's dependencies sit in earlier waves, so each wave may be created
 * concurrently. Within a wave, template order is kept (stable, reproducible logs).
 */
export function deploymentWaves(resources: Readonly<Record<string, TemplateResource>>): string[][] {
  const remaining = dependencyGraph(resources);
  const done = new Set<string>();
  const waves: string[][] = [];
  while (remaining.size > 0) {
    const wave = [...remaining].filter(([, needs]) => [...needs].every((n) => done.has(n))).map(([id]) => id);
    if (wave.length === 0) {
      throw new DependencyError(`Circular dependency between resources: ${findCycle(remaining).join(' -> ')}`);
    }
    for (const id of wave) {
      remaining.delete(id);
      done.add(id);
    }
    waves.push(wave);
  }
  return waves;
}
