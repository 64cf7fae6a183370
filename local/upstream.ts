import type { GatewayRequest } from './gateway.js';

/**
 * Sends a request the gateway received on to moto as it came, for an interceptor that amends moto's answer
 * (moto does not check signatures, so the signed headers may travel unchanged).
 */
export async function forwardToUpstream(req: GatewayRequest, upstream: string): Promise<{ status: number; contentType: string; body: string }> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === 'string' && !['host', 'content-length', 'connection', 'transfer-encoding'].includes(k)) headers[k] = v;
  }
  const res = await fetch(new URL(req.path, upstream), { method: req.method, headers, body: req.body });
  return { status: res.status, contentType: res.headers.get('content-type') ?? 'text/xml', body: await res.text() };
}
