import type { FleetSnapshot } from '../fleet-snapshot.js';
import { visibleWidth } from '../screen.js';
import { plain, type Style } from '../style.js';
import { describeInterruption, describeNow, drainNote, fromReport, sinceStart, type Interruption } from './plan.js';
import type { InterruptReport } from './run.js';

/** The live view while following: capacity and each interrupted instance's steps so far. */
export function formatFollow(snapshot: FleetSnapshot, followed: readonly Interruption[], startedAt: number, style: Style = plain): string {
  const views = new Map(snapshot.instances.map((i) => [i.instanceId, i]));
  const serving = snapshot.instances.filter((i) => i.health === 'healthy').length;
  return [
    `${style.dim(sinceStart(Date.parse(snapshot.at), startedAt))}  fleet ${snapshot.fulfilledCapacity}/${snapshot.targetCapacity}, ${serving} healthy target(s)`,
    ...(followed.length === 0
      ? ['  waiting for the fleet to pick an instance…']
      : followed.flatMap((f) => {
          const now = describeNow(f, views.get(f.instanceId));
          return [`  ${describeInterruption(f, startedAt)}`, ...(now ? [`    ${now}`] : []), ...noteLines(f, startedAt, style)];
        })),
  ].join('\n');
}

/** The drain note, dimmed; broken at its words to `width` (the live view leaves cutting to its frame). */
function noteLines(i: Interruption, startedAt: number, style: Style, width = Number.POSITIVE_INFINITY): string[] {
  const note = drainNote(i, startedAt);
  return note ? wrapAt(`    ${note}`, ' ', width, '    ').map((l) => style.dim(l)) : [];
}

/**
 * `text` cut into pieces at `separator` (which ends each line it breaks), packed into lines of at most `width` visible
 * columns, every line after the first starting with `indent`. A piece wider than a line gets one of its own.
 */
export function wrapAt(text: string, separator: string, width: number, indent: string): string[] {
  const pieces = text.split(separator);
  const lines: string[] = [];
  let line = pieces[0]!;
  for (const piece of pieces.slice(1)) {
    const joined = `${line}${separator}${piece}`;
    if (visibleWidth(joined) <= width) line = joined;
    else {
      lines.push(`${line}${separator}`.trimEnd());
      line = `${indent}${piece}`;
    }
  }
  return [...lines, line];
}

/**
 * The report after following: per instance its steps in order and the verdict, then the note on the drain. On a
 * terminal (`width`), steps break at their arrows and the note at its words, so the report reads whole at 80 columns.
 */
export function formatInterruptReport(r: InterruptReport, style: Style = plain, width = Number.POSITIVE_INFINITY): string {
  const how =
    r.method === 'fis'
      ? `FIS experiment ${r.experimentId}${r.experimentStatus ? ` (${r.experimentStatus})` : ''}`
      : `target capacity ${r.capacity.from} → ${r.capacity.to}`;
  const lines = [`${style.bold('Interrupted')} ${r.stackName} fleet ${r.fleetRequestId} by ${how}:`];
  for (const i of r.instances) {
    const verdict = i.goneAt === undefined ? style.yellow('still there') : i.drained ? style.green('drained, then gone') : style.red('gone without draining');
    const steps = fromReport(i);
    lines.push(
      ...wrapAt(`  ${describeInterruption(steps, Date.parse(r.startedAt))}  ${verdict}`, ' → ', width, '      '),
      ...noteLines(steps, Date.parse(r.startedAt), style, width),
    );
  }
  if (!r.complete) lines.push(style.yellow(`  stopped following after ${(r.durationMs / 1000).toFixed(0)} s before every instance was gone`));
  return lines.join('\n');
}
