import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isSpotAction, SPOT_ACTIONS, type SpotAction } from '../../common/ec2-events.js';

/** The instance an emulator speaks for. */
export interface EmulatedIdentity {
  readonly instanceId: string;
  readonly availabilityZone: string;
  readonly instanceType: string;
  /** `spot` or `on-demand`, as `instance-life-cycle` reports it. */
  readonly lifecycle: string;
}

export interface ImdsEmulatorOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Clock for token expiry. @default Date.now */
  readonly now?: () => number;
}

/** One request the emulator answered, for tests and troubleshooting. */
export interface ImdsRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** What the request carried in X-aws-ec2-metadata-token. */
  readonly token: 'valid' | 'invalid' | 'missing';
}

export interface ImdsEmulator {
  /** Base URL to use as IMDS_ENDPOINT, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  /** From now on `spot/instance-action` reports this interruption. */
  setSpotAction(action: SpotAction, time: Date): void;
  /** From now on `events/recommendations/rebalance` reports this recommendation. */
  setRebalance(time: Date): void;
  /** The most recent requests, oldest first (the last 1000). */
  requests(): readonly ImdsRequestRecord[];
  close(): Promise<void>;
}

export const TOKEN_TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
export const TOKEN_HEADER = 'x-aws-ec2-metadata-token';
const MAX_TOKEN_TTL_SECONDS = 21_600;
const KEPT_RECORDS = 1000;

/** IMDS writes times as ISO 8601 in UTC without fractional seconds. */
export function formatImdsTime(time: Date): string {
  if (Number.isNaN(time.getTime())) throw new TypeError('time must be a valid Date');
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Serves the slice of the EC2 instance metadata service (IMDSv2 only) that the instance app reads,
 * with the real token rules: PUT /latest/api/token with a TTL header issues a token, and every
 * metadata GET without a valid, unexpired token is refused with 401.
 */
export async function startImdsEmulator(
  identity: EmulatedIdentity,
  options: ImdsEmulatorOptions = {},
): Promise<ImdsEmulator> {
  validateIdentity(identity);
  const now = options.now ?? Date.now;
  const tokens = new Map<string, number>();
  const records: ImdsRequestRecord[] = [];
  const metadata = new Map<string, string>([
    ['instance-id', identity.instanceId],
    ['placement/availability-zone', identity.availabilityZone],
    ['placement/region', identity.availabilityZone.replace(/[a-z]$/, '')],
    ['instance-type', identity.instanceType],
    ['instance-life-cycle', identity.lifecycle],
  ]);

  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const method = request.method ?? 'GET';
    const token = tokenState(request.headers[TOKEN_HEADER]);
    const answer = route(method, path, request.headers, token);
    if (records.push({ method, path, status: answer.status, token }) > KEPT_RECORDS) records.shift();
    response.writeHead(answer.status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(answer.body) });
    response.end(answer.body);
  });

  function tokenState(header: string | string[] | undefined): ImdsRequestRecord['token'] {
    if (typeof header !== 'string' || header === '') return 'missing';
    const expiresAt = tokens.get(header);
    if (expiresAt === undefined) return 'invalid';
    if (now() >= expiresAt) {
      tokens.delete(header);
      return 'invalid';
    }
    return 'valid';
  }

  function route(
    method: string,
    path: string,
    headers: http.IncomingHttpHeaders,
    token: ImdsRequestRecord['token'],
  ): { status: number; body: string } {
    if (path === '/latest/api/token') {
      if (method !== 'PUT') return { status: 405, body: 'Method Not Allowed' };
      // Like IMDS: a proxied request (X-Forwarded-For) never gets a token.
      if (headers['x-forwarded-for'] !== undefined) return { status: 403, body: 'Forbidden' };
      const ttl = Number(headers[TOKEN_TTL_HEADER]);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_SECONDS) return { status: 400, body: 'Bad Request' };
      const issued = randomBytes(32).toString('base64url');
      tokens.set(issued, now() + ttl * 1000);
      return { status: 200, body: issued };
    }
    if (method !== 'GET' && method !== 'HEAD') return { status: 405, body: 'Method Not Allowed' };
    if (token !== 'valid') return { status: 401, body: 'Unauthorized' };
    const prefix = '/latest/meta-data/';
    const value = path.startsWith(prefix) ? metadata.get(path.slice(prefix.length)) : undefined;
    return value === undefined ? { status: 404, body: 'Not Found' } : { status: 200, body: value };
  }

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    setSpotAction(action, time) {
      if (!isSpotAction(action)) {
        throw new TypeError(`spot action must be ${SPOT_ACTIONS.slice(0, -1).join(', ')} or ${SPOT_ACTIONS.at(-1)}, got ${String(action)}`);
      }
      const at = formatImdsTime(time);
      metadata.set('spot/instance-action', JSON.stringify({ action, time: at }));
      // IMDS also publishes the older termination-time item, for terminations only.
      if (action === 'terminate') metadata.set('spot/termination-time', at);
      else metadata.delete('spot/termination-time');
    },
    setRebalance(time) {
      metadata.set('events/recommendations/rebalance', JSON.stringify({ noticeTime: formatImdsTime(time) }));
    },
    requests: () => [...records],
    close() {
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function validateIdentity(identity: EmulatedIdentity): void {
  for (const key of ['instanceId', 'availabilityZone', 'instanceType', 'lifecycle'] as const) {
    const value: unknown = identity[key];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new TypeError(`IMDS emulator identity needs a non-empty ${key}, got ${JSON.stringify(value)}`);
    }
  }
}
