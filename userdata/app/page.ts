import { UNKNOWN, type InstanceIdentity } from './identity.js';

/**
 * The site's icon: a Spot-orange disc. Inline in the page, so a browser asks for nothing but the page: when it
 * also fetched /favicon.ico, that request took every other round-robin turn at the load balancer and each reload
 * showed the same instance. Also served at /favicon.ico for clients that ask anyway.
 */
export const FAVICON_SVG = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'><circle cx='8' cy='8' r='7' fill='#ff9900'/></svg>";

/** The tiny HTML page served at `/`: which instance answered, and where. */
export function renderHelloPage(identity: InstanceIdentity): string {
  const details = [identity.availabilityZone, identity.instanceType, identity.lifecycle]
    .filter((value) => value !== UNKNOWN)
    .map(escapeHtml);
  const detailLine = details.length > 0 ? `<p>${details.join(' &middot; ')}</p>\n` : '';
  return (
    '<!doctype html>\n' +
    '<html lang="en"><head><meta charset="utf-8"><title>spotweb</title>' +
    `<link rel="icon" href="data:image/svg+xml,${encodeURIComponent(FAVICON_SVG)}"></head><body>\n` +
    `<h1>hello from ${escapeHtml(identity.instanceId)}</h1>\n` +
    detailLine +
    '</body></html>\n'
  );
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}
