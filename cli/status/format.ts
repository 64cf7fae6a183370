import Table from 'cli-table3';
import type { FleetSnapshot, InstanceView } from '../fleet-snapshot.js';
import { printableLine } from '../../local/printable.js';
import { plain, type Style } from '../style.js';

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
  const reason = i.health === 'unhealthy' && i.healthReason ? ` (${printableLine(i.healthReason, 80)})` : '';
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
  if (s.notifications) {
    lines.push('', style.bold('Last notifications from the topic:'));
    if (s.notifications.length === 0) lines.push(style.dim('  (none yet)'));
    // Notifications come from outside (anyone who can publish to the topic): printed as plain text only.
    for (const n of s.notifications) {
      lines.push(`  ${printableLine(n.receivedAt, 40)}  ${n.subject ? `${printableLine(n.subject, 100)}: ` : ''}${printableLine(n.message, 160)}`);
    }
  }
  return lines.join('\n');
}
