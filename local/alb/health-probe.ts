import { request } from 'node:http';
import type { ProbeResult } from './target-health.js';
import type { TargetEndpoint } from './types.js';

/**
 * One ALB-style health check: GET `path` on a fresh connection (a dead target must show up as refused,
 * not hide behind a pooled socket), judged by `isSuccess` on the status, failed after `timeoutMs`.
 */
export function probeHealth(
  target: TargetEndpoint,
  path: string,
  timeoutMs: number,
  isSuccess: (status: number) => boolean,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = request(
      {
        host: target.host,
        port: target.port,
        path,
        method: 'GET',
        agent: false,
        headers: { 'user-agent': 'ELB-HealthChecker/2.0', connection: 'close' },
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        settle(
          isSuccess(status)
            ? { ok: true }
            : {
                ok: false,
                reason: 'Target.ResponseCodeMismatch',
                description: `Health checks failed with these codes: [${status}]`,
              },
        );
        req.destroy();
      },
    );
    const timer = setTimeout(() => {
      settle({ ok: false, reason: 'Target.Timeout', description: 'Request timed out' });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      settle({
        ok: false,
        reason: 'Target.FailedHealthChecks',
        description: `Health checks failed: ${err.code ?? err.message}`,
      });
    });
    req.end();
  });
}
