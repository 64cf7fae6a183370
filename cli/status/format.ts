import Table from 'cli-table3';
import type { FleetSnapshot, InstanceView } from '../fleet-snapshot.js';
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
  const left = i.drainingSecondsLeft !== undefined ? ` (${i.drainingSecondsLeft.toFixed(1)} s left)` : '';
  const reason = i.health === 'unhealthy' && i.healthReason ? ` (${i.healthReason})` : '';
  return (paint[i.health] ?? ((s: string) => s))(`${i.health}${left}${reason}`);
}

function stateLabel(i: InstanceView, now: number, style: Style): string {
  if (!i.reclaimAt) return i.state;
  const seconds = Math.max(0, (Date.parse(i.reclaimAt) - now) / 1000);
  return `${i.state} ${style.magenta(`(reclaim in ${seconds.toFixed(1)} s)`)}`;
}

/** The `status` screen: fleet capacity, one row per instance, and (locally) the topic's last notifications. */
export function formatStatus(s: FleetSnapshot, style: Style = plain): string {
  const now = Date.parse(s.at);
  const capacity =
    s.fulfilledCapacity === s.targetCapacity
      ? style.green(`${s.fulfilledCapacity}/${s.targetCapacity}`)
      : style.yellow(`${s.fulfilledCapacity}/${s.targetCapacity}`);
  const lines = [
    `${style.bold(s.stackName)} (${s.target === 'local' ? 'local cloud' : 'AWS'})  ${s.url}`,
    `Spot Fleet ${s.fleetRequestId} ${s.fleetState}: fulfilled/target capacity ${capacity}`,
  ];
  const withRequests = s.instances.some((i) => i.requests !== undefined);
  const table = new Table({
    head: ['instance', 'AZ', 'type', 'state', 'target health', ...(withRequests ? ['requests'] : [])],
    style: { head: style.isColorSupported ? ['cyan'] : [], border: style.isColorSupported ? ['grey'] : [] },
  });
  for (const i of s.instances) {
    table.push([i.instanceId, i.availabilityZone, i.instanceType, stateLabel(i, now, style), healthLabel(i, style), ...(withRequests ? [String(i.requests ?? '-')] : [])]);
  }
  lines.push(s.instances.length > 0 ? table.toString() : style.yellow('No instances in the fleet.'));
  if (s.alarms && s.alarms.length > 0) {
    const paint: Record<string, (t: string) => string> = { OK: style.green, ALARM: style.red, INSUFFICIENT_DATA: style.yellow };
    const width = Math.max(...s.alarms.map((a) => a.state.length));
    lines.push('', style.bold('Alarms:'));
    for (const a of s.alarms) {
      const state = (paint[a.state] ?? ((t: string) => t))(a.state.padEnd(width));
      lines.push(`  ${state}  ${a.name}${a.state === 'ALARM' && a.reason ? style.dim(`  ${oneLine(a.reason, 100)}`) : ''}`);
    }
  }
  if (s.notifications) {
    lines.push('', style.bold('Last notifications from the topic:'));
    if (s.notifications.length === 0) lines.push(style.dim('  (none yet)'));
    for (const n of s.notifications) {
      const alarm = n.subject !== undefined && /^(ALARM|OK|INSUFFICIENT_DATA): "/.test(n.subject);
      const text = alarm ? describeNotification(n.message, n.subject) : `${n.subject ? `${n.subject}: ` : ''}${n.message}`;
      lines.push(`  ${n.receivedAt}  ${oneLine(text)}`);
    }
  }
  return lines.join('\n');
}

function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
