import type { FleetSnapshot, InstanceView } from '../../fleet-snapshot.js';
import type { ActionView, ConsoleView } from '../view.js';

/** The element with this id; the page is ours, so a missing one is a bug worth a loud error. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`console page: no #${id}`);
  return el as T;
}

/** An element with text (never HTML: everything shown comes from AWS or the instances). */
export function el(tag: string, props: { text?: string; className?: string; attrs?: Record<string, string> } = {}, children: Node[] = []): HTMLElement {
  const e = document.createElement(tag);
  if (props.text !== undefined) e.textContent = props.text;
  if (props.className) e.className = props.className;
  for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

export const clock = (ms: number): string => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const seconds = (ms: number): string => `${Math.max(0, ms / 1000).toFixed(1)} s`;

function summaryItem(term: string, value: string): HTMLElement {
  return el('div', {}, [el('dt', { text: term }), el('dd', { text: value })]);
}

/** Header and fleet summary: stack, where, URL, request, strategy-free facts `status` has. */
export function renderSummary(s: FleetSnapshot): void {
  byId('stack').textContent = `${s.stackName} · ${s.target === 'local' ? 'local cloud' : 'AWS'}`;
  const link = byId<HTMLAnchorElement>('site-url');
  link.textContent = s.url;
  link.href = /^https?:\/\//.test(s.url) ? s.url : `http://${s.url}`;
  const healthy = s.instances.filter((i) => i.health === 'healthy').length;
  byId('fleet-summary').replaceChildren(
    summaryItem('Request', s.fleetRequestId),
    summaryItem('State', s.fleetState),
    ...(s.allocationStrategy ? [summaryItem('Allocation strategy', s.allocationStrategy)] : []),
    summaryItem('Fulfilled / target capacity', `${s.fulfilledCapacity} / ${s.targetCapacity}`),
    summaryItem('Healthy targets', String(healthy)),
  );
}

function healthCell(i: InstanceView, now: number, drainingSince: ReadonlyMap<string, number>, delaySeconds: number | undefined): HTMLElement {
  const cell = el('td', { attrs: { 'data-label': 'Target health' } }, [el('span', { text: i.health, className: 'badge', attrs: { 'data-health': i.health } })]);
  if (i.health === 'draining') {
    const since = now - (drainingSince.get(i.instanceId) ?? now);
    const left =
      i.drainingSecondsLeft !== undefined
        ? `${i.drainingSecondsLeft.toFixed(1)} s left`
        : delaySeconds !== undefined
          ? `at most ${seconds(delaySeconds * 1000 - since)} left`
          : `draining for ${seconds(since)}`;
    cell.append(el('span', { text: left, className: 'detail draining-left' }));
    // ELB completed the drain early (nothing in flight, no connection) but shows draining until the delay ends.
    if (i.drainCompletedAt) cell.append(el('span', { text: 'drain complete', className: 'detail drained', attrs: { title: 'No request in flight and no connection open: the load balancer completed the drain; it shows the target draining until the deregistration delay ends' } }));
  }
  if (i.healthReason) cell.append(el('span', { text: i.healthReason, className: 'detail reason' }));
  return cell;
}

/** One row per instance, with the FIS button on each serving one. */
export function renderInstances(
  s: FleetSnapshot,
  now: number,
  drainingSince: ReadonlyMap<string, number>,
  delaySeconds: number | undefined,
  onFis: ((id: string) => void) | undefined,
): void {
  const rows = s.instances.map((i) => {
    const state = el('td', { attrs: { 'data-label': 'EC2 state' } }, [el('span', { text: i.state, className: 'badge', attrs: { 'data-state': i.state } })]);
    if (i.reclaimAt) state.append(el('span', { text: `reclaim in ${seconds(Date.parse(i.reclaimAt) - now)}`, className: 'detail reclaim' }));
    const fis = el('button', { text: 'FIS interrupt', className: 'small danger', attrs: { type: 'button', 'data-fis': i.instanceId } }) as HTMLButtonElement;
    fis.disabled = !onFis || i.state !== 'running' || Boolean(i.reclaimAt);
    fis.addEventListener('click', () => onFis?.(i.instanceId));
    return el('tr', { attrs: { 'data-instance': i.instanceId, 'data-state': i.state, 'data-health': i.health } }, [
      el('td', { text: i.instanceId, className: 'mono', attrs: { 'data-label': 'Instance' } }),
      el('td', { text: i.instanceType, attrs: { 'data-label': 'Type · AZ' } }, [el('span', { text: i.availabilityZone, className: 'detail' })]),
      state,
      healthCell(i, now, drainingSince, delaySeconds),
      el('td', { text: i.requests === undefined ? '–' : String(i.requests), className: 'num', attrs: { 'data-label': 'Requests' } }),
      el('td', { attrs: { 'data-label': '' } }, [fis]),
    ]);
  });
  byId('instances').querySelector('tbody')!.replaceChildren(...rows);
  byId('no-instances').hidden = rows.length > 0;
}

/** The timeline's event list, newest first. */
export function renderMarkers(view: ConsoleView): void {
  byId('markers').replaceChildren(
    ...[...view.markers].reverse().map((m) =>
      el('li', { attrs: { 'data-kind': m.kind } }, [el('time', { text: clock(m.at) }), el('span', { text: m.kind, className: 'kind' }), document.createTextNode(m.text)]),
    ),
  );
  byId('traffic-sources').textContent = `Traffic from ${view.trafficSources.join(' and ')}. Markers: W warning, D deregistration, T termination, L launch, S scaling.`;
}

export function renderNotifications(s: FleetSnapshot | undefined): void {
  const list = s?.notifications;
  byId('notifications').replaceChildren(
    ...[...(list ?? [])].reverse().map((n) => el('li', {}, [el('time', { text: clock(Date.parse(n.receivedAt)) }), ...(n.subject ? [el('span', { text: n.subject, className: 'kind' })] : []), document.createTextNode(n.message)])),
  );
  byId('notifications-note').textContent =
    list === undefined
      ? 'On AWS the topic delivers to its subscribers (e-mail, chat); subscribe to it to receive them.'
      : list.length === 0
        ? 'None yet: the topic tells of each interruption warning the handler acted on.'
        : '';
}

export function renderAlarms(view: ConsoleView): void {
  const alarms = view.alarms;
  byId('alarms').replaceChildren(
    ...(alarms?.alarms ?? []).map((a) =>
      el('li', { attrs: { 'data-alarm-state': a.state } }, [el('span', { text: a.state, className: 'alarm-state', attrs: { 'data-state': a.state } }), el('span', { text: a.name, className: 'mono' }), ...(a.reason ? [el('span', { text: a.reason, className: 'detail' })] : [])]),
    ),
  );
  byId('alarms-note').textContent = !alarms ? 'Reading alarms…' : alarms.error ? alarms.error : alarms.alarms.length === 0 ? 'This stack has no CloudWatch alarms.' : '';
}

const ACTION_NAMES: Record<ActionView['kind'], string> = { interrupt: 'Interrupt (capacity)', 'interrupt-fis': 'Interrupt (FIS)', load: 'Steady load' };

export function renderActions(view: ConsoleView): void {
  byId('action-log').replaceChildren(
    ...[...view.actions].reverse().map((a) =>
      el('li', { attrs: { 'data-action-state': a.state, 'data-action': a.kind } }, [
        el('time', { text: clock(a.startedAt) }),
        el('span', { text: `${ACTION_NAMES[a.kind]}: ${a.state}`, className: 'kind' }),
        ...a.lines.map((l) => el('span', { text: l, className: 'lines' })),
      ]),
    ),
  );
  const load = byId<HTMLButtonElement>('act-load');
  load.textContent = view.load ? `Stop load (${view.load.rate}/s: ${view.load.requests} sent, ${view.load.failures} failed)` : 'Start load';
  load.dataset.running = view.load ? 'true' : 'false';
  byId<HTMLInputElement>('load-rate').disabled = Boolean(view.load);
}

/** The banner saying what the page lost: the console server, or the console's own data source. */
export function renderSource(view: ConsoleView | undefined, connection: 'connecting' | 'live' | 'lost' | 'stale'): void {
  const pill = byId('connection');
  const banner = byId('lost');
  const sourceLost = view && !view.source.ok;
  const state = connection === 'live' && sourceLost ? 'lost' : connection;
  pill.dataset.state = state;
  pill.textContent = { connecting: 'connecting…', live: 'live', lost: 'data source lost', stale: 'no updates' }[state];
  if (connection === 'lost' || connection === 'stale') {
    banner.hidden = false;
    banner.textContent = `Lost the console server: no updates${view ? ` since ${clock(view.now)}` : ''}. Is \`npm run cli -- console\` (or npm start) still running? Retrying…`;
  } else if (sourceLost) {
    banner.hidden = false;
    const since = view.source.failingSince ? ` since ${clock(view.source.failingSince)}` : '';
    const last = view.source.lastOkAt ? ` Showing what was read at ${clock(view.source.lastOkAt)}.` : '';
    banner.textContent = `Lost the data source${since}: ${view.source.error ?? 'unknown error'}.${last}`;
    pill.textContent = 'data source lost';
  } else {
    banner.hidden = true;
  }
}
