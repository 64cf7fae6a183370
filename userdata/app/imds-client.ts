import http from 'node:http';

/** Reads instance metadata through IMDSv2: a session token from PUT, then GETs that carry it. */
export interface ImdsClient {
  /** The text at `/latest/meta-data/<path>`, or undefined where IMDS has nothing there (404). */
  get(path: string): Promise<string | undefined>;
}

export interface ImdsClientOptions {
  /** Base URL, e.g. http://169.254.169.254 */
  readonly endpoint: string;
  /** Upper bound for one HTTP exchange, connection included. */
  readonly timeoutMs: number;
  /** @default 21600 (six hours, the most IMDS grants) */
  readonly tokenTtlSeconds?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export class ImdsError extends Error {
  override readonly name = 'ImdsError';
}

export const TOKEN_PATH = '/latest/api/token';
export const TOKEN_TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
export const TOKEN_HEADER = 'x-aws-ec2-metadata-token';

// IMDS answers are a few hundred bytes; anything far larger is not IMDS talking.
const MAX_BODY_BYTES = 64 * 1024;
// Renew a little before expiry so a GET never races the token's last second.
const TOKEN_RENEW_MARGIN_MS = 60_000;

interface Token {
  readonly value: string;
  readonly expiresAt: number;
}

export function createImdsClient(options: ImdsClientOptions): ImdsClient {
  const ttlSeconds = options.tokenTtlSeconds ?? 21_600;
  const now = options.now ?? Date.now;
  const base = options.endpoint.replace(/\/+$/, '');
  let token: Token | undefined;
  let pendingToken: Promise<Token> | undefined;

  async function requestToken(): Promise<Token> {
    const issuedAt = now();
    const reply = await exchange(`${base}${TOKEN_PATH}`, 'PUT', { [TOKEN_TTL_HEADER]: String(ttlSeconds) }, options.timeoutMs);
    if (reply.status !== 200) throw new ImdsError(`token request answered HTTP ${reply.status}`);
    const value = reply.body.trim();
    // A token is printable ASCII; anything else would be rejected as a header value anyway.
    if (!/^[\x21-\x7e]{1,1024}$/.test(value)) throw new ImdsError('token request answered something that is not a token');
    const lifetimeMs = ttlSeconds * 1000;
    return { value, expiresAt: issuedAt + lifetimeMs - Math.min(TOKEN_RENEW_MARGIN_MS, lifetimeMs / 10) };
  }

  function currentToken(): Promise<Token> {
    if (token !== undefined && now() < token.expiresAt) return Promise.resolve(token);
    // Concurrent readers share one PUT rather than each asking for a token.
    pendingToken ??= requestToken().then(
      (fresh) => {
        token = fresh;
        pendingToken = undefined;
        return fresh;
      },
      (error: unknown) => {
        pendingToken = undefined;
        throw error;
      },
    );
    return pendingToken;
  }

  async function getWithToken(path: string, used: Token): Promise<Reply> {
    return exchange(`${base}/latest/meta-data/${path}`, 'GET', { [TOKEN_HEADER]: used.value }, options.timeoutMs);
  }

  return {
    async get(path) {
      let used = await currentToken();
      let reply = await getWithToken(path, used);
      if (reply.status === 401) {
        // The token expired early or IMDS restarted: forget it and try once with a fresh one.
        if (token === used) token = undefined;
        used = await currentToken();
        reply = await getWithToken(path, used);
      }
      if (reply.status === 200) return reply.body;
      if (reply.status === 404) return undefined;
      throw new ImdsError(`GET ${path} answered HTTP ${reply.status}`);
    },
  };
}

interface Reply {
  readonly status: number;
  readonly body: string;
}

/** One HTTP exchange with a deadline covering connect, headers and body. */
function exchange(url: string, method: string, headers: Record<string, string>, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let settled = false;
    // Whichever of answer, error or deadline comes first decides; the socket goes either way.
    const finish = (outcome: Reply | ImdsError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (outcome instanceof ImdsError) {
        request.destroy();
        reject(outcome);
      } else {
        resolve(outcome);
      }
    };
    const fail = (error: Error): void => finish(new ImdsError(`${method} ${url} failed: ${error.message}`));
    const request = http.request(url, { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) finish(new ImdsError(`${method} ${url} answered more than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      response.on('end', () => finish({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', fail);
    });
    const timer = setTimeout(() => finish(new ImdsError(`${method} ${url} timed out after ${timeoutMs} ms`)), timeoutMs);
    request.on('error', fail);
    request.end();
  });
}
