import type { ActionRequest } from '../actions.js';
import type { ConsoleView } from '../view.js';
import { TimelineChart } from './chart.js';
import { byId, renderActions, renderAlarms, renderInstances, renderMarkers, renderNotifications, renderSource, renderSummary } from './render.js';

/** The server sends a view at least this often; longer silence means the connection is gone even if still open. */
const STALE_AFTER_MS = 10_000;

/** The token comes in the URL's fragment (`#token=…`), which the browser never sends anywhere. */
const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';

const chart = new TimelineChart(byId('chart'));
/** When this page first saw each target draining: ELB does not say how long it has left on AWS. */
const drainingSince = new Map<string, number>();
let view: ConsoleView | undefined;
let connection: 'connecting' | 'live' | 'lost' | 'stale' = 'connecting';
let lastMessageAt = Date.now();
let busy = false;

function confirmAction(text: string, ok: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  byId('confirm-text').textContent = text;
  byId('confirm-ok').textContent = ok;
  dialog.showModal();
  return new Promise((resolve) => {
    const done = (answer: boolean) => () => {
      dialog.close();
      byId('confirm-ok').removeEventListener('click', yes);
      byId('confirm-cancel').removeEventListener('click', no);
      dialog.removeEventListener('cancel', no);
      resolve(answer);
    };
    const yes = done(true);
    const no = done(false);
    byId('confirm-ok').addEventListener('click', yes);
    byId('confirm-cancel').addEventListener('click', no);
    dialog.addEventListener('cancel', no);
  });
}

async function act(request: ActionRequest): Promise<void> {
  const error = byId('action-error');
  error.hidden = true;
  busy = true;
  render();
  try {
    const res = await fetch('/api/actions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-spotweb-token': token },
      body: JSON.stringify(request),
    });
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { message?: string };
      error.textContent = `Refused: ${body.message ?? `HTTP ${res.status}`}`;
      error.hidden = false;
    }
  } catch (err) {
    error.textContent = `Could not reach the console server: ${(err as Error).message}`;
    error.hidden = false;
  } finally {
    busy = false;
    render();
  }
}

async function interrupt(): Promise<void> {
  const s = view?.snapshot;
  const text = s
    ? `Lower Spot Fleet ${s.fleetRequestId}'s target capacity from ${s.targetCapacity} to ${s.targetCapacity - 1}? The fleet picks an instance, which gets the two-minute interruption warning and is terminated.`
    : 'Lower the fleet’s target capacity by 1?';
  if (await confirmAction(text, 'Interrupt')) await act({ action: 'interrupt' });
}

async function interruptWithFis(instanceId?: string): Promise<void> {
  const text = `Start an AWS FIS experiment (aws:ec2:send-spot-instance-interruptions) on ${instanceId ?? 'one serving instance'}? It gets the two-minute warning and is terminated; the fleet replaces it.`;
  if (await confirmAction(text, 'Interrupt with FIS')) await act({ action: 'interrupt-fis', ...(instanceId ? { instanceId } : {}) });
}

async function toggleLoad(): Promise<void> {
  if (view?.load) return act({ action: 'load-stop' });
  const rate = Number(byId<HTMLInputElement>('load-rate').value);
  const url = view?.snapshot?.url ?? 'the stack';
  if (await confirmAction(`Send ${rate} requests per second to ${url} until you stop it (at most one hour)?`, 'Start load')) await act({ action: 'load-start', rate });
}

function render(): void {
  renderSource(view, connection);
  const canAct = Boolean(token) && !busy && connection === 'live' && Boolean(view?.source.ok);
  byId('token-note').hidden = Boolean(token);
  const interrupting = view?.actions.some((a) => a.kind !== 'load' && a.state === 'running') ?? false;
  byId<HTMLButtonElement>('act-interrupt').disabled = !canAct || interrupting;
  byId<HTMLButtonElement>('act-fis').disabled = !canAct || interrupting;
  byId<HTMLButtonElement>('act-load').disabled = !token || busy || connection !== 'live';
  if (!view) return;
  renderActions(view);
  renderAlarms(view);
  renderMarkers(view);
  const s = view.snapshot;
  renderNotifications(s);
  if (!s) return;
  for (const i of s.instances) if (i.health === 'draining' && !drainingSince.has(i.instanceId)) drainingSince.set(i.instanceId, Date.parse(s.at));
  for (const id of drainingSince.keys()) if (!s.instances.some((i) => i.instanceId === id && i.health === 'draining')) drainingSince.delete(id);
  renderSummary(s);
  renderInstances(s, view.now, drainingSince, view.deregistrationDelaySeconds, canAct && !interrupting ? (id) => void interruptWithFis(id) : undefined);
  const first = Math.min(view.now - 60_000, ...view.traffic.map((t) => t.at), ...view.markers.map((m) => m.at));
  chart.update(view.traffic, view.markers, [Math.max(view.now - view.windowMs, first), view.now]);
}

function connect(): void {
  const events = new EventSource('/events');
  events.onopen = () => {
    connection = 'live';
    render();
  };
  events.onmessage = (e: MessageEvent<string>) => {
    view = JSON.parse(e.data) as ConsoleView;
    lastMessageAt = Date.now();
    connection = 'live';
    render();
  };
  // EventSource reconnects by itself (the server asks for 2 s); the page says so meanwhile.
  events.onerror = () => {
    connection = 'lost';
    render();
  };
}

setInterval(() => {
  if (connection === 'live' && Date.now() - lastMessageAt > STALE_AFTER_MS) {
    connection = 'stale';
    render();
  }
}, 1000);

byId('act-interrupt').addEventListener('click', () => void interrupt());
byId('act-fis').addEventListener('click', () => void interruptWithFis());
byId('act-load').addEventListener('click', () => void toggleLoad());
render();
connect();
