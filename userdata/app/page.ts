import { UNKNOWN, type InstanceIdentity } from './identity.js';

/** The tiny HTML page served at `/`: which instance answered, and where. */
export function renderHelloPage(identity: InstanceIdentity): string {
  const details = [identity.availabilityZone, identity.instanceType, identity.lifecycle]
    .filter((value) => value !== UNKNOWN)
    .map(escapeHtml);
  const detailLine = details.length > 0 ? `<p>${details.join(' &middot; ')}</p>\n` : '';
  return (
    '<!doctype html>\n' +
    '<html lang="en"><head><meta charset="utf-8"><title>spotweb</title></head><body>\n' +
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
