/**
 * The `Targets.member.N.<field>` parameters of an ELB query-protocol request (DescribeTargetHealth, RegisterTargets,
 * DeregisterTargets): read whatever their numbering, and written back renumbered from 1.
 */

/** One `Targets.member.N`: its number and every field given for it (`Id`, `Port`, `AvailabilityZone`). */
export interface TargetMember {
  readonly n: number;
  readonly fields: ReadonlyMap<string, string>;
}

/** The request's targets, by member number, whatever the numbering (gaps included). */
export function targetMembers(params: URLSearchParams): TargetMember[] {
  const byNumber = new Map<number, Map<string, string>>();
  for (const [name, value] of params.entries()) {
    const m = /^Targets\.member\.(\d+)\.(\w+)$/.exec(name);
    if (!m) continue;
    const n = Number(m[1]);
    const fields = byNumber.get(n) ?? byNumber.set(n, new Map()).get(n)!;
    fields.set(m[2]!, value);
  }
  return [...byNumber].sort(([a], [b]) => a - b).map(([n, fields]) => ({ n, fields }));
}

/** The form body with its targets replaced by `members`, renumbered from 1 with all their fields; the rest kept. */
export function withTargets(params: URLSearchParams, members: readonly TargetMember[]): string {
  const kept = [...params.entries()].filter(([name]) => !/^Targets\.member\.\d+\./.test(name));
  const targets = members.flatMap((member, i) => [...member.fields].map(([field, value]): [string, string] => [`Targets.member.${i + 1}.${field}`, value]));
  return new URLSearchParams([...kept, ...targets]).toString();
}

/** The targets' ids and ports, in member order (the form DescribeTargetHealth's answer is built from). */
export function requestedTargets(params: URLSearchParams): Array<{ id: string; port?: number }> {
  return targetMembers(params).flatMap(({ fields }) => {
    const id = fields.get('Id');
    const port = fields.get('Port');
    return id === undefined ? [] : [{ id, ...(port ? { port: Number(port) } : {}) }];
  });
}
