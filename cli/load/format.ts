import { plain, type Style } from '../style.js';
import type { LoadSummary } from './stats.js';

const kinds = (s: LoadSummary): string =>
  Object.entries(s.failuresByKind)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');

/** The live line: elapsed, requests, failures, p95, instances seen. */
export function formatLoadProgress(s: LoadSummary, totalMs: number, style: Style = plain): string {
  const failures = s.failures > 0 ? style.red(`${s.failures} failed (${kinds(s)})`) : style.green('0 failed');
  return `${(s.durationMs / 1000).toFixed(1)}/${(totalMs / 1000).toFixed(0)} s  ${s.requests} requests  ${failures}  p95 ${s.latencyMs.p95.toFixed(1)} ms  ${s.instances.length} instance(s)`;
}

/** The final report. */
export function formatLoadSummary(s: LoadSummary, style: Style = plain): string {
  const rate = s.durationMs > 0 ? (s.requests / (s.durationMs / 1000)).toFixed(1) : '0';
  const lines = [
    `${style.bold('Load')} ${s.url}: ${s.requests} requests in ${(s.durationMs / 1000).toFixed(1)} s (${rate}/s)`,
    s.failures === 0 ? style.green(`  failed: 0 (all ${s.succeeded} answered 200)`) : style.red(`  failed: ${s.failures} of ${s.requests} — ${kinds(s)}`),
    `  latency: p50 ${s.latencyMs.p50.toFixed(1)} ms, p95 ${s.latencyMs.p95.toFixed(1)} ms, p99 ${s.latencyMs.p99.toFixed(1)} ms, max ${s.latencyMs.max.toFixed(1)} ms`,
    `  instances seen: ${s.instances.length}${s.instances.length > 0 ? ` (${s.instances.join(', ')})` : ''}`,
  ];
  if (s.skipped > 0) lines.push(style.yellow(`  not sent: ${s.skipped} (all ${'--concurrency'} slots busy; raise it or lower --rate)`));
  return lines.join('\n');
}
