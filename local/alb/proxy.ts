import {
  request,
  type Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { TargetEndpoint } from './types.js';

export interface ForwardOptions {
  readonly target: TargetEndpoint;
  readonly agent: Agent;
  /** The listener's port, for X-Forwarded-Port. */
  readonly listenerPort: number;
  /** No byte from the target for this long: 504, like ALB's idle timeout. */
  readonly idleTimeoutMs: number;
  /** Aborting cuts the exchange short (the deregistration delay ran out). */
  readonly signal: AbortSignal;
}

/** How an exchange ended: `target` = the target's response went out; otherwise the LB's own error. */
export type ForwardOutcome = 'target' | 'bad-gateway' | 'gateway-timeout' | 'client-gone';

/** Connection-level headers that belong to one hop and must not be passed on (RFC 9110 7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.has(name)) out[name] = value;
  }
  return out;
}

/** The request headers ALB sends a target: end-to-end ones plus X-Forwarded-For/-Proto/-Port. */
export function forwardedHeaders(req: IncomingMessage, listenerPort: number): OutgoingHttpHeaders {
  const headers = endToEndHeaders(req.headers);
  const client = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${prior}, ${client}` : client;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-port'] = String(listenerPort);
  return headers;
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * Proxies one request to `target`, streaming both bodies. Resolves when the client's response is over,
 * however it ended. Errors become ALB's answers: 502 when the target refuses or breaks the connection,
 * 504 when it stays silent; once the target's headers went out, the client connection is cut instead.
 */
export function forward(req: IncomingMessage, res: ServerResponse, options: ForwardOptions): Promise<ForwardOutcome> {
  return new Promise((resolve) => {
    let outcome: ForwardOutcome = 'target';
    const headers = forwardedHeaders(req, options.listenerPort);
    const fail = (status: 502 | 504) => {
      if (res.destroyed || res.writableEnded) return;
      outcome = status === 502 ? 'bad-gateway' : 'gateway-timeout';
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const text = status === 502 ? '502 Bad Gateway' : '504 Gateway Time-out';
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) + 1 });
      res.end(`${text}\n`);
    };

    // No retry, as ALB: a pooled connection the target closed just before it was reused fails the request with 502
    // (ELB user guide, "Connection idle timeout"; see backend-agent.ts). The target must keep connections open
    // longer than the load balancer does.
    const up = request({
      host: options.target.host,
      port: options.target.port,
      method: req.method,
      path: req.url,
      headers,
      agent: options.agent,
      signal: options.signal,
    });
    up.setTimeout(options.idleTimeoutMs, () => {
      up.destroy();
      fail(504);
    });
    up.on('response', (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, endToEndHeaders(upRes.headers));
      upRes.pipe(res);
      // The target broke off mid-body: the client must see a cut connection, not a short "complete" body.
      upRes.on('close', () => {
        if (upRes.complete || res.destroyed) return;
        outcome = 'bad-gateway';
        res.destroy();
      });
    });
    up.on('error', () => {
      if (up.destroyed && outcome !== 'target') return; // timeout already answered
      fail(502);
    });
    if (hasBody(req)) req.pipe(up);
    else up.end();

    res.on('close', () => {
      if (!res.writableFinished) {
        up.destroy();
        if (outcome === 'target') outcome = 'client-gone';
      }
      resolve(outcome);
    });
  });
}
