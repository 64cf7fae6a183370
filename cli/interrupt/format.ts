import type { FleetSnapshot } from '../fleet-snapshot.js';
import { plain, type Style } from '../style.js';
import { describeInterruption, describeNow, drainNote, fromReport, type Interruption } from './plan.js';
import type { InterruptReport } from './run.js';

/** The live view while following: capacity and each interrupted instance's steps so far. */
export function formatFollow(snapshot: FleetSnapshot, followed: readonly Interruption[], startedAt: number, style: Style = plain): string {
  const views = new Map(snapshot.instances.map((i) => [i.instanceId, i]));
  const serving = snapshot.instances.filter((i) => i.health === 'healthy').length;
  return [
    `${style.dim(`+${((Date.parse(snapshot.at) - startedAt) / 1000).toFixed(1)} s`)}  fleet ${snapshot.fulfilledCapacity}/${snapshot.targetCapacity}, ${serving} healthy target(s)`,
    ...(followed.length === 0
      ? ['  waiting for the fleet to pick an instance…']
      : followed.flatMap((f) => {
          const now = describeNow(f, views.get(f.instanceId));
          return [`  ${describeInterruption(f, startedAt)}`, ...(now ? [`    ${now}`] : []), ...noteLines(f, startedAt, style)];
        })),
  ].join('\n');
}

function noteLines(i: Interruption, startedAt: number, style: Style): string[] {
  const note = drainNote(i, startedAt);
  return note ? [style.dim(`    ${note}`)] : [];
}

export function formatInterruptReport(r: InterruptReport, style: Style = plain): string {
  const how =
    r.method === 'fis'
      ? `FIS experiment ${r.experimentId}${r.experimentStatus ? ` (${r.experimentStatus})` : ''}`
      : `target capacity ${r.capacity.from} → ${r.capacity.to}`;
  const lines = [`${style.bold('Interrupted')} ${r.stackName} fleet ${r.fleetRequestId} by ${how}:`];
  for (const i of r.instances) {
    const verdict = i.goneAt === undefined ? style.yellow('still there') : i.drained ? style.green('drained, then gone') : style.red('gone without draining');
    const steps = fromReport(i);
    lines.push(`  ${describeInterruption(steps, Date.parse(r.startedAt))}  ${verdict}`, ...noteLines(steps, Date.parse(r.startedAt), style));
  }
  if (!r.complete) lines.push(style.yellow(`  stopped following after ${(r.durationMs / 1000).toFixed(0)} s before every instance was gone`));
  return lines.join('\n');
}
