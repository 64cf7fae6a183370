/**
 * Fault injection at the local cloud's AWS endpoint, for tests and benchmarks: a service that is down, or one that
 * throttles. Each fault is a gateway interceptor answering the error the way that service's protocol does on
 * AWS, so the SDK on the other side classifies it (transient, throttling) and retries with its real logic.
 *
 *   const outage = serviceOutage({ service: 'elasticloadbalancing', when: fromLambda });
 *   const remove = cloud.gateway.injectFault(outage.intercept);   // before every interceptor, as an outage hits
 *   …; outage.end(); remove();
 */
import { randomUUID } from 'node:crypto';
import { signedService, type GatewayRequest, type GatewayResponse, type Interceptor } from './gateway.js';

export interface FaultScope {
  /** SigV4 service name: `elasticloadbalancing`, `ec2`, `sns`, `sqs`, … */
  readonly service: string;
  /** Only these API actions (query `Action=` or JSON `X-Amz-Target`). @default every action */
  readonly actions?: readonly string[];
  /** Only requests this accepts, e.g. `fromLambda`. @default every caller */
  readonly when?: (req: GatewayRequest) => boolean;
  /** The fault ends after this many injected errors. @default no limit */
  readonly count?: number;
  /**
   * The fault ends this long after the first request it answered: the outage as its victim sees it, however late
   * the victim comes (a Lambda cold start, a queued event). @default no limit
   */
  readonly forMs?: number;
}

export interface Fault {
  readonly intercept: Interceptor;
  /** Errors answered so far. */
  readonly injected: number;
  /** Whether it still answers errors. */
  readonly active: boolean;
  /** Ends the fault now (the service is back). */
  end(): void;
}

export interface OutageOptions extends FaultScope {
  /** @default 503 */
  readonly status?: number;
  /** @default ServiceUnavailable */
  readonly code?: string;
}

/** The service answers every matching request with a server error until the fault ends. */
export function serviceOutage(options: OutageOptions): Fault {
  const status = options.status ?? 503;
  const code = options.code ?? 'ServiceUnavailable';
  return fault(options, (req) => errorResponse(req, status, code, 'Service is unavailable (injected outage)'));
}

/** The service answers matching requests with its throttling error until the fault ends. */
export function throttle(options: FaultScope): Fault {
  return fault(options, (req) => {
    // EC2 throttles with RequestLimitExceeded on 503; query services with Throttling on 400; JSON services with
    // ThrottlingException on 400. All three are in the SDK's list of throttling codes.
    if (signedService(req.headers) === 'ec2') return errorResponse(req, 503, 'RequestLimitExceeded', 'Request limit exceeded.');
    if (isJson(req)) return errorResponse(req, 400, 'ThrottlingException', 'Rate exceeded');
    return errorResponse(req, 400, 'Throttling', 'Rate exceeded');
  });
}

/** Requests sent by the local Lambda runtime (the SDK names `AWS_EXECUTION_ENV` in its user agent). */
export function fromLambda(req: GatewayRequest): boolean {
  return /exec-env\/AWS_Lambda/.test(`${req.headers['x-amz-user-agent'] ?? ''} ${req.headers['user-agent'] ?? ''}`);
}

/** The API action a request names: `Action=` in a query-protocol body, or the `X-Amz-Target` operation. */
export function actionOf(req: GatewayRequest): string | undefined {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop();
  if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    return new URLSearchParams(req.body.toString('utf8')).get('Action') ?? undefined;
  }
  return undefined;
}

function fault(scope: FaultScope, answer: (req: GatewayRequest) => GatewayResponse): Fault {
  if (scope.count !== undefined && !(Number.isInteger(scope.count) && scope.count >= 0)) {
    throw new RangeError(`fault count must be a non-negative integer, got ${scope.count}`);
  }
  if (scope.forMs !== undefined && !(scope.forMs >= 0)) throw new RangeError(`fault forMs must be >= 0, got ${scope.forMs}`);
  let endsAt = Infinity;
  let injected = 0;
  let ended = false;
  const isActive = (): boolean => !ended && Date.now() < endsAt && (scope.count === undefined || injected < scope.count);
  return {
    intercept: (req) => {
      if (!isActive() || signedService(req.headers) !== scope.service) return undefined;
      if (scope.actions && !scope.actions.includes(actionOf(req) ?? '')) return undefined;
      if (scope.when && !scope.when(req)) return undefined;
      if (injected === 0 && scope.forMs !== undefined) endsAt = Date.now() + scope.forMs;
      injected++;
      return answer(req);
    },
    get injected() {
      return injected;
    },
    get active() {
      return isActive();
    },
    end: () => {
      ended = true;
    },
  };
}

function isJson(req: GatewayRequest): boolean {
  return String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json');
}

/** An AWS error in the shape the request's protocol uses. */
function errorResponse(req: GatewayRequest, status: number, code: string, message: string): GatewayResponse {
  const requestId = randomUUID();
  if (isJson(req)) {
    return {
      status,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId, 'x-amzn-errortype': code },
      body: JSON.stringify({ __type: code, message }),
    };
  }
  const xml =
    signedService(req.headers) === 'ec2'
      ? `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
      : `<ErrorResponse><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body: xml };
}
