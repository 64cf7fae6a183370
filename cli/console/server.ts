import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { isAddressInUse } from '../../local/ports.js';
import { CliError } from '../errors.js';
import type { Target } from '../target.js';
import { ConsoleActions, parseActionRequest } from './actions.js';
import { ConsoleCollector, type ConsoleCollectorProps } from './collector.js';
import type { ConsoleView } from './view.js';

export interface ConsoleServerProps extends Omit<ConsoleCollectorProps, 'actions' | 'target'> {
  readonly target: Target;
  /** Port on 127.0.0.1. @default 0 (a free port) */
  readonly port?: number;
  /** The secret actions need. @default 24 random bytes, base64url */
  readonly token?: string;
}

export interface ConsoleServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly token: string;
  /** The URL to open: the token rides in the fragment, which browsers never send to a server or in a Referer. */
  readonly urlWithToken: string;
  readonly collector: ConsoleCollector;
  close(): Promise<void>;
}

/** The header the page sends the token in (a custom header also forces a CORS preflight cross-origin). */
export const TOKEN_HEADER = 'x-spotweb-token';
const MAX_BODY_BYTES = 4096;
const HEARTBEAT_MS = 15_000;
const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

/** The page's files: HTML as written, the TypeScript bundled with uPlot by the project's esbuild, the CSS joined. */
async function buildAssets(): Promise<Record<string, { type: string; body: string }>> {
  const { build } = await import('esbuild');
  const bundle = await build({
    entryPoints: [`${PAGE_DIR}app.ts`],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const uplotCss = createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css');
  const [html, css, chartCss] = await Promise.all([readFile(`${PAGE_DIR}index.html`, 'utf8'), readFile(`${PAGE_DIR}style.css`, 'utf8'), readFile(uplotCss, 'utf8')]);
  return {
    '/': { type: 'text/html; charset=utf-8', body: html },
    '/app.js': { type: 'text/javascript; charset=utf-8', body: bundle.outputFiles[0]!.text },
    '/app.css': { type: 'text/css; charset=utf-8', body: `${chartCss}\n${css}` },
  };
}

/**
 * The live console: serves the page on 127.0.0.1 only, streams the collector's view as server-sent events, and
 * takes the page's actions. Reads need no token (only this machine reaches the port, and the Host check below
 * keeps other sites' pages out through DNS rebinding); actions need the token, a same-origin request and JSON.
 */
export async function startConsole(props: ConsoleServerProps): Promise<ConsoleServer> {
  const token = props.token ?? randomBytes(24).toString('base64url');
  const assets = await buildAssets();
  const actions = new ConsoleActions(props.target);
  const collector = new ConsoleCollector({ ...props, actions });
  const streams = new Set<ServerResponse>();
  let port = 0;
  const allowedHosts = (): Set<string> => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  const send = (view: ConsoleView): void => {
    const data = `data: ${JSON.stringify(view)}\n\n`;
    for (const res of streams) res.write(data);
  };
  collector.on('view', send);

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: Error) => {
      if (!res.headersSent) json(res, 500, { message: err.message });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts().has(req.headers.host ?? '')) return json(res, 421, { message: 'this console answers only to 127.0.0.1 and localhost' });
    const path = new URL(req.url ?? '/', `http://${req.headers.host}`).pathname;
    if (req.method === 'GET' || req.method === 'HEAD') {
      const asset = assets[path];
      if (asset) {
        res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type });
        res.end(req.method === 'HEAD' ? undefined : asset.body);
        return;
      }
      if (path === '/api/view') return json(res, 200, collector.view());
      if (path === '/favicon.ico') return void res.writeHead(204, SECURITY_HEADERS).end();
      if (path === '/events') {
        res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream', connection: 'keep-alive' });
        res.write(`retry: 2000\ndata: ${JSON.stringify(collector.view())}\n\n`);
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
      return json(res, 404, { message: `no such page: ${path}` });
    }
    if (req.method === 'POST' && path === '/api/actions') {
      const refusal = refuseAction(req, token, allowedHosts());
      if (refusal) return json(res, refusal.status, { message: refusal.message });
      let request;
      try {
        request = parseActionRequest(JSON.parse(await readBody(req)));
      } catch (err) {
        return json(res, 400, { message: err instanceof SyntaxError ? 'the request body must be JSON' : (err as Error).message });
      }
      try {
        const action = await actions.start(request);
        json(res, 202, action);
      } catch (err) {
        if (err instanceof CliError) return json(res, err.exitCode === 2 ? 400 : 409, { message: err.message });
        json(res, 500, { message: (err as Error).message });
      }
      // The page sees the action at once, not at the next read.
      send(collector.view());
      return;
    }
    res.setHeader('allow', 'GET, HEAD, POST');
    json(res, 405, { message: `${req.method} ${path} is not served here` });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(isAddressInUse(err) ? new CliError(`port ${props.port} on 127.0.0.1 is in use: pass another --port, or leave it out for a free one`) : err),
    );
    server.listen({ port: props.port ?? 0, host: '127.0.0.1', exclusive: true }, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  await collector.start();
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    token,
    urlWithToken: `${url}#token=${token}`,
    collector,
    async close() {
      clearInterval(heartbeat);
      await collector.stop();
      await actions.close();
      for (const res of streams) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Why an action request is refused, or undefined: the token must match; a browser's request must come from this
 * page (Origin, and Sec-Fetch-Site where sent); the body must be declared JSON, which no HTML form can send.
 */
export function refuseAction(req: Pick<IncomingMessage, 'headers'>, token: string, origins: ReadonlySet<string>): { status: number; message: string } | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined && !origins.has(origin.replace(/^http:\/\//, ''))) return { status: 403, message: `cross-origin request from ${origin} refused` };
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return { status: 403, message: `cross-site request (${site}) refused` };
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return { status: 415, message: 'actions take a JSON body (content-type: application/json)' };
  const given = Buffer.from(String(req.headers[TOKEN_HEADER] ?? ''));
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { status: 401, message: 'actions need the token printed with the console URL (open the URL with its #token=… part)' };
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new CliError('request body too large', 2));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
