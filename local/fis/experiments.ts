import { randomUUID } from 'node:crypto';
import { type SpotAction, SPOT_INTERRUPTION_ACTION, SPOT_WARNING_MS } from '../../common/ec2-events.js';
import type { SimulatedClock } from '../clock.js';
import { signedService, type GatewayRequest, type GatewayResponse, type Interceptor } from '../gateway.js';

/**
 * AWS Fault Injection Service for the local cloud. moto 5.2.1 creates and deletes experiment templates but
 * cannot read them back or run them, so this plays the FIS API the CLI uses (templates and experiments) and
 * runs `aws:ec2:send-spot-instance-interruptions` on the local Spot Fleet: the same warning, EventBridge event
 * and reclaim as a real interruption.
 */


export interface FisDeps {
  /** The Spot service: warns the instance now and reclaims it when the warning period ends; returns when. */
  readonly fleet: { interrupt(instanceId: string, action?: SpotAction): Date };
  /** The local cloud's clock (at scale 0.05 PT2M lasts 6 s). */
  readonly clock: SimulatedClock;
  readonly region: string;
  readonly account: string;
}

interface Template {
  id: string;
  arn: string;
  description?: string;
  roleArn?: string;
  targets: Record<string, { resourceType?: string; resourceArns?: string[]; selectionMode?: string }>;
  actions: Record<string, { actionId?: string; parameters?: Record<string, string>; targets?: Record<string, string> }>;
  stopConditions: unknown[];
  tags: Record<string, string>;
  creationTime: number;
  lastUpdateTime: number;
}

interface Experiment {
  id: string;
  arn: string;
  template: Template;
  status: 'initiating' | 'running' | 'completed' | 'stopped' | 'failed';
  reason?: string;
  startTime: number;
  endTime?: number;
  tags: Record<string, string>;
  timers: NodeJS.Timeout[];
}

/** Parses an ISO 8601 duration of minutes/seconds (PT2M, PT2M30S, PT150S) into milliseconds. */
export function isoDurationMs(text: string): number {
  const m = /^PT(?:(\d+)M)?(?:(\d+)S)?$/.exec(text);
  if (!m || (m[1] === undefined && m[2] === undefined)) throw new Error(`not an ISO 8601 duration in minutes/seconds: "${text}"`);
  return (Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 1000;
}

const json = (status: number, body: unknown, errorType?: string): GatewayResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) },
  body: JSON.stringify(body),
});
const notFound = (what: string): GatewayResponse => json(404, { message: `${what} not found` }, 'ResourceNotFoundException');
const invalid = (message: string): GatewayResponse => json(400, { message }, 'ValidationException');
const seconds = (ms: number): number => ms / 1000;
/** Experiment timers must not keep a stopping local cloud alive. */
const later = (fn: () => void, ms: number): NodeJS.Timeout => setTimeout(fn, ms).unref();

export function fisInterceptor(deps: FisDeps): Interceptor {
  const templates = new Map<string, Template>();
  const experiments = new Map<string, Experiment>();
  const arn = (kind: string, id: string): string => `arn:aws:fis:${deps.region}:${deps.account}:${kind}/${id}`;

  const templateView = (t: Template) => ({ ...t, creationTime: seconds(t.creationTime), lastUpdateTime: seconds(t.lastUpdateTime) });
  const experimentView = (e: Experiment) => ({
    id: e.id,
    arn: e.arn,
    experimentTemplateId: e.template.id,
    roleArn: e.template.roleArn,
    state: { status: e.status, ...(e.reason ? { reason: e.reason } : {}) },
    targets: e.template.targets,
    actions: Object.fromEntries(Object.entries(e.template.actions).map(([name, a]) => [name, { ...a, state: { status: e.status } }])),
    stopConditions: e.template.stopConditions,
    startTime: seconds(e.startTime),
    ...(e.endTime ? { endTime: seconds(e.endTime) } : {}),
    tags: e.tags,
  });
  const finish = (e: Experiment, status: Experiment['status'], reason?: string): void => {
    if (e.status !== 'running' && e.status !== 'initiating') return;
    for (const t of e.timers) clearTimeout(t);
    e.status = status;
    e.reason = reason;
    e.endTime = Date.now();
  };

  const start = (template: Template, tags: Record<string, string>): GatewayResponse => {
    const instanceIds: string[] = [];
    let waitMs = 0;
    for (const action of Object.values(template.actions)) {
      if (action.actionId !== SPOT_INTERRUPTION_ACTION) return invalid(`the local cloud runs only ${SPOT_INTERRUPTION_ACTION}, not ${action.actionId}`);
      const duration = isoDurationMs(action.parameters?.durationBeforeInterruption ?? 'PT2M');
      if (duration < SPOT_WARNING_MS) return invalid('durationBeforeInterruption must be at least PT2M');
      // FIS sends the two-minute notice so that it ends when the duration does.
      waitMs = Math.max(waitMs, deps.clock.toReal(duration - SPOT_WARNING_MS));
      for (const targetName of Object.values(action.targets ?? {})) {
        for (const resource of template.targets[targetName]?.resourceArns ?? []) instanceIds.push(resource.split('/').pop()!);
      }
    }
    const id = `EXP${randomUUID().replace(/-/g, '').slice(0, 14)}`;
    const experiment: Experiment = { id, arn: arn('experiment', id), template, status: 'running', startTime: Date.now(), tags, timers: [] };
    experiments.set(id, experiment);
    const interrupt = (): void => {
      try {
        const reclaims = instanceIds.map((i) => deps.fleet.interrupt(i, 'terminate').getTime());
        const lastReclaim = Math.max(Date.now(), ...reclaims);
        experiment.timers.push(later(() => finish(experiment, 'completed'), lastReclaim - Date.now()));
      } catch (err) {
        finish(experiment, 'failed', (err as Error).message);
      }
    };
    if (waitMs > 0) experiment.timers.push(later(interrupt, waitMs));
    else interrupt();
    return json(200, { experiment: experimentView(experiment) });
  };

  const handle = (req: GatewayRequest): GatewayResponse | undefined => {
    const url = new URL(req.path, 'http://local');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const body = req.body.length > 0 ? (JSON.parse(req.body.toString('utf8')) as Record<string, any>) : {};
    const [collection, id] = parts;
    if (collection === 'experimentTemplates') {
      if (req.method === 'POST' && !id) {
        const templateId = `EXT${randomUUID().replace(/-/g, '').slice(0, 14)}`;
        const now = Date.now();
        const template: Template = {
          id: templateId,
          arn: arn('experiment-template', templateId),
          description: body.description,
          roleArn: body.roleArn,
          targets: body.targets ?? {},
          actions: body.actions ?? {},
          stopConditions: body.stopConditions ?? [],
          tags: body.tags ?? {},
          creationTime: now,
          lastUpdateTime: now,
        };
        templates.set(templateId, template);
        return json(200, { experimentTemplate: templateView(template) });
      }
      const template = id ? templates.get(id) : undefined;
      if (req.method === 'GET' && !id) return json(200, { experimentTemplates: [...templates.values()].map(templateView) });
      if (!template) return notFound(`experiment template ${id}`);
      if (req.method === 'GET') return json(200, { experimentTemplate: templateView(template) });
      if (req.method === 'DELETE') {
        templates.delete(template.id);
        return json(200, { experimentTemplate: templateView(template) });
      }
    }
    if (collection === 'experiments') {
      if (req.method === 'POST' && !id) {
        const template = templates.get(String(body.experimentTemplateId));
        if (!template) return notFound(`experiment template ${body.experimentTemplateId}`);
        return start(template, body.tags ?? {});
      }
      if (req.method === 'GET' && !id) {
        return json(200, { experiments: [...experiments.values()].map((e) => ({ ...experimentView(e), experimentTemplateId: e.template.id })) });
      }
      const experiment = id ? experiments.get(id) : undefined;
      if (!experiment) return notFound(`experiment ${id}`);
      if (req.method === 'GET') return json(200, { experiment: experimentView(experiment) });
      if (req.method === 'DELETE') {
        finish(experiment, 'stopped', 'stopped by request');
        return json(200, { experiment: experimentView(experiment) });
      }
    }
    return undefined;
  };

  return (req) => {
    if (signedService(req.headers) !== 'fis') return undefined;
    try {
      return handle(req) ?? invalid(`the local cloud does not play FIS ${req.method} ${req.path}`);
    } catch (err) {
      return invalid((err as Error).message);
    }
  };
}
