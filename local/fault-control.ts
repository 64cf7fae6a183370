/**
 * `/_local/faults/elb-outage`: lets a person break the handler's path from outside the process, to watch the
 * alarms fire and clear (README, Operations). It switches on the same fault tests use (`serviceOutage` for
 * Elastic Load Balancing, requests from the Lambda only), so the handler fails the way it would if ELB's API
 * were down and its retries ran out; the load balancer itself keeps serving.
 *
 *   POST   /_local/faults/elb-outage?seconds=300   starts it (AWS seconds, compressed by the clock; default 300)
 *   GET    /_local/faults/elb-outage               {"active": bool, "injected": n}
 *   DELETE /_local/faults/elb-outage               ends it
 */
import type { SimulatedClock } from './clock.js';
import { fromLambda, serviceOutage, type Fault } from './faults.js';
import type { GatewayResponse, Interceptor } from './gateway.js';

const PATH = '/_local/faults/elb-outage';
const MAX_SECONDS = 24 * 60 * 60;

export function elbOutageControl(gateway: { injectFault(i: Interceptor): () => void }, clock: SimulatedClock): Interceptor & { end(): void } {
  let current: { fault: Fault; remove: () => void } | undefined;
  const end = (): void => {
    current?.fault.end();
    current?.remove();
    current = undefined;
  };
  const state = (status = 200): GatewayResponse => json(status, { active: current?.fault.active ?? false, injected: current?.fault.injected ?? 0 });

  const control = (req: Parameters<Interceptor>[0]): GatewayResponse | undefined => {
    const url = new URL(req.path, 'http://local');
    if (url.pathname !== PATH) return undefined;
    if (req.method === 'GET') return state();
    if (req.method === 'DELETE') {
      end();
      return state();
    }
    if (req.method === 'POST') {
      const raw = url.searchParams.get('seconds') ?? '300';
      const seconds = Number(raw);
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_SECONDS) {
        return json(400, { message: `seconds must be a whole number from 1 to ${MAX_SECONDS}, got "${raw}"` });
      }
      end();
      const fault = serviceOutage({ service: 'elasticloadbalancing', when: fromLambda, forMs: clock.toReal(seconds * 1000) });
      current = { fault, remove: gateway.injectFault(fault.intercept) };
      return state();
    }
    return json(405, { message: `${req.method} ${PATH}: use POST, GET or DELETE` });
  };
  return Object.assign(control, { end });
}

function json(status: number, body: unknown): GatewayResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
