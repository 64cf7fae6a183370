import type { Style } from '../style.js';
import { outdated, type RollStep } from './plan.js';
import type { RollProgress, RollReport } from './run.js';

function describeStep(step: RollStep): string {
  switch (step.kind) {
    case 'point-fleet':
      return `pointing the fleet at launch template version ${step.version}`;
    case 'begin':
      return `starting: keeping ${step.capacity} healthy targets throughout`;
    case 'raise-capacity':
      return `launching a replacement for ${step.replacing} (capacity ${step.capacity})`;
    case 'wait-replacement':
      return `waiting for the replacement of ${step.replacing} to be healthy (${step.healthy}/${step.needed} others healthy)`;
    case 'deregister':
      return `deregistering ${step.instanceId}`;
    case 'wait-drain':
      return `draining ${step.instanceId}`;
    case 'terminate':
      return `terminating ${step.instanceId} (drained)`;
    case 'finish':
      return `finishing: capacity back to ${step.capacity}`;
    case 'done':
      return 'every instance runs the newest version';
  }
}

/** One live line (two on a narrow terminal) while the roll runs. */
export function formatRollProgress(p: RollProgress, style: Style): string {
  const old = outdated(p.state).length;
  const healthy = p.state.instances.filter((i) => i.targetState === 'healthy').length;
  const seconds = Math.round((Date.now() - p.startedAt) / 1000);
  return (
    `${style.bold('roll')} to v${p.state.latestVersion}: ${p.replaced.length} replaced, ${old} to go · ` +
    `${healthy} healthy, capacity ${p.state.targetCapacity} · ${seconds} s\n  ${describeStep(p.step)}`
  );
}

export function formatRollReport(r: RollReport, style: Style): string {
  const head = r.complete
    ? style.green(`fleet ${r.fleetRequestId} runs launch template version ${r.version}`)
    : style.yellow(`roll stopped before it finished: run it again to carry on`);
  const list = r.replaced.length > 0 ? `\nreplaced: ${r.replaced.join(', ')}` : '\nnothing to replace';
  return `${head}${list}\ntook ${(r.durationMs / 1000).toFixed(1)} s`;
}
