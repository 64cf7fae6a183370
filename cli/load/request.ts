import http from 'node:http';
import https from 'node:https';

/** What one request to the web app came to. */
export interface RequestOutcome {
  /** Undefined when the app answered 200; otherwise why the request failed (`http-503`, `ECONNREFUSED`, `timeout`…). */
  readonly failure?: string;
  readonly latencyMs: number;
  /** The instance that served it, from the app's `hello from i-…` page. */
  readonly instanceId?: string;
}

const INSTANCE_IN_PAGE = /hello from (i-[0-9a-f]+)/;

/** The instance id a page of the web app names, if any. */
export function instanceOfPage(body: string): string | undefined {
  return INSTANCE_IN_PAGE.exec(body)?.[1];
}

/** A keep-alive agent for the URL's scheme, as browsers keep connections open to an ALB. */
export function keepAliveAgent(url: string, maxSockets: number): http.Agent {
  const options = { keepAlive: true, maxSockets };
  return new URL(url).protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
}

/**
 * One GET. Every answer other than 200 and every connection error is a failure: a user would have seen an
 * error page or a broken connection.
 */
export function sendRequest(url: string, agent: http.Agent, timeoutMs: number): Promise<RequestOutcome> {
  const started = performance.now();
  const get = new URL(url).protocol === 'https:' ? https.get : http.get;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: Omit<RequestOutcome, 'latencyMs'>): void => {
      if (settled) return;
      settled = true;
      resolve({ ...outcome, latencyMs: performance.now() - started });
    };
    const req = get(url, { agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => settle({ failure: res.statusCode === 200 ? undefined : `http-${res.statusCode}`, instanceId: instanceOfPage(body) }));
      res.on('error', (err: NodeJS.ErrnoException) => settle({ failure: err.code ?? err.message }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (err: NodeJS.ErrnoException) => settle({ failure: err.code ?? err.message }));
  });
}
