import Table from 'cli-table3';
import type { FleetSnapshot, InstanceView } from '../fleet-snapshot.js';
import { fitLine, visibleWidth } from '../screen.js';
import { printableLine } from '../../local/printable.js';
import { plain, type Style } from '../style.js';
import { describeNotification } from '../../local/cloudwatch/alarm-notification.js';

/** A target's health as the table shows it: `draining (4.2 s left)`, `unhealthy (Target.Timeout)`. */
export function healthLabel(i: InstanceView, style: Style = plain): string {
  const paint: Record<string, (s: string) => string> = {
    healthy: style.green,
    initial: style.cyan,
    draining: style.yellow,
    unhealthy: style.red,
    unused: style.dim,
    unavailable: style.red,
  };
  // A drain that completed early is still `draining` for ELB until the delay ends: say both.
  const left = i.drainingSecondsLeft !== undefined ? ` (${i.drainingSecondsLeft.toFixed(1)} s left${i.drainCompletedAt ? ', drained' : ''})` : '';
  const reason = i.health === 'unhealthy' && i.healthReason ? ` (${printableLine(i.healthReason, 80)})` : '';
  return (paint[i.health] ?? ((s: string) => s))(`${i.health}${left}${reason}`);
}

function stateLabel(i: InstanceView, now: number, style: Style): string {
  if (!i.reclaimAt) return i.state;
  const seconds = Math.max(0, (Date.parse(i.reclaimAt) - now) / 1000);
  return `${i.state} ${style.magenta(`(reclaim in ${seconds.toFixed(1)} s)`)}`;
}

/** A column of the instance table; `drop` orders which go first when the terminal is narrow (lowest first). */
interface Column {
  readonly head: string;
  readonly cell: (i: InstanceView) => string;
  readonly drop?: number;
}

const COMPACT_CHARS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' ',
};

/**
 * The instance table at most `width` columns wide: all columns with borders when they fit; otherwise without
 * borders, then without the columns a narrow terminal can spare (AZ, type, requests, in that order). Instance,
 * state and target health, what `status` is for, stay.
 */
function instanceTable(columns: readonly Column[], instances: readonly InstanceView[], style: Style, width: number): string {
  const render = (cols: readonly Column[], compact: boolean): string => {
    const table = new Table({
      head: cols.map((c) => c.head),
      ...(compact ? { chars: COMPACT_CHARS, style: { head: style.isColorSupported ? ['cyan'] : [], border: [], 'padding-left': 0, 'padding-right': 1 } } : {
        style: { head: style.isColorSupported ? ['cyan'] : [], border: style.isColorSupported ? ['grey'] : [] },
      }),
    });
    for (const i of instances) table.push(cols.map((c) => c.cell(i)));
    return table.toString();
  };
  const fits = (text: string): boolean => text.split('\n').every((l) => visibleWidth(l) <= width);
  const bordered = render(columns, false);
  if (fits(bordered)) return bordered;
  const dropOrder = columns.filter((c) => c.drop !== undefined).sort((a, b) => a.drop! - b.drop!);
  let kept = [...columns];
  let text = render(kept, true);
  for (const c of dropOrder) {
    if (fits(text)) break;
    kept = kept.filter((k) => k !== c);
    text = render(kept, true);
  }
  return text;
}

/** How many alarms are in each state, ALARM first, then INSUFFICIENT_DATA, OK and any other, leaving out the empty ones. */
export function alarmStateCounts(alarms: ReadonlyArray<{ readonly state: string }>): Array<[string, number]> {
  const order = ['ALARM', 'INSUFFICIENT_DATA', 'OK'];
  const counts = new Map<string, number>();
  for (const a of alarms) counts.set(a.state, (counts.get(a.state) ?? 0) + 1);
  const rank = (state: string) => (order.includes(state) ? order.indexOf(state) : order.length);
  return [...counts].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * The `status` screen: fleet capacity, one row per instance, and (locally) the topic's last notifications.
 * `width`: the terminal's columns; every line fits it (the table drops columns, long lines are cut with …).
 */
export function formatStatus(s: FleetSnapshot, style: Style = plain, width = Number.POSITIVE_INFINITY): string {
  const now = Date.parse(s.at);
  const capacity =
    s.fulfilledCapacity === s.targetCapacity
      ? style.green(`${s.fulfilledCapacity}/${s.targetCapacity}`)
      : style.yellow(`${s.fulfilledCapacity}/${s.targetCapacity}`);
  // What matters first on each line, so that a narrow terminal cuts the least useful end.
  const lines = [
    `${style.bold(s.stackName)} (${s.target === 'local' ? 'local cloud' : 'AWS'})  ${s.url}`,
    `Fleet capacity ${capacity} (fulfilled/target), ${s.fleetState}: Spot Fleet ${s.fleetRequestId}`,
  ];
  const withRequests = s.instances.some((i) => i.requests !== undefined);
  const columns: Column[] = [
    { head: 'instance', cell: (i) => i.instanceId },
    { head: 'AZ', cell: (i) => i.availabilityZone, drop: 1 },
    { head: 'type', cell: (i) => i.instanceType, drop: 2 },
    { head: 'state', cell: (i) => stateLabel(i, now, style) },
    { head: 'target health', cell: (i) => healthLabel(i, style) },
    ...(withRequests ? [{ head: 'requests', cell: (i: InstanceView) => String(i.requests ?? '-'), drop: 0 }] : []),
  ];
  lines.push(s.instances.length > 0 ? instanceTable(columns, s.instances, style, width) : style.yellow('No instances in the fleet.'));
  if (s.alarms && s.alarms.length > 0) {
    const paint: Record<string, (t: string) => string> = { OK: style.green, ALARM: style.red, INSUFFICIENT_DATA: style.yellow };
    const painted = (state: string, text = state) => (paint[state] ?? ((t: string) => t))(text);
    // One line of counts, then only the alarms that are not OK: the stack has nine, and listing the quiet ones would
    // push the instances off an 80×24 terminal (`--json` has them all).
    const counts = alarmStateCounts(s.alarms);
    lines.push('', `${style.bold('Alarms:')} ${counts.map(([state, n]) => painted(state, `${n} ${state}`)).join(', ')}`);
    const loud = s.alarms.filter((a) => a.state !== 'OK');
    const stateWidth = Math.max(0, ...loud.map((a) => a.state.length));
    for (const a of loud) {
      lines.push(`  ${painted(a.state, a.state.padEnd(stateWidth))}  ${printableLine(a.name, 100)}${a.state === 'ALARM' && a.reason ? style.dim(`  ${printableLine(a.reason, 100)}`) : ''}`);
    }
  }
  if (s.notifications) {
    lines.push('', style.bold('Last notifications from the topic:'));
    if (s.notifications.length === 0) lines.push(style.dim('  (none yet)'));
    // Notifications come from outside (anyone who can publish to the topic): printed as plain text only.
    for (const n of s.notifications) {
      const alarm = n.subject !== undefined && /^(ALARM|OK|INSUFFICIENT_DATA): "/.test(n.subject);
      // The drain confirmation repeats its subject at the head of its message: shown once.
      const subject = n.subject && !n.message.startsWith(n.subject) ? `${n.subject}: ` : '';
      const text = alarm ? describeNotification(n.message, n.subject) : `${subject}${n.message}`;
      lines.push(`  ${printableLine(n.receivedAt.slice(11, 19), 40)}  ${printableLine(text, 160)}`);
    }
  }
  return Number.isFinite(width) ? lines.flatMap((l) => l.split('\n')).map((l) => fitLine(l, width)).join('\n') : lines.join('\n');
}
