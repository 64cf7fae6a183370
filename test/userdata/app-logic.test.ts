// The app's pure pieces: identity validation, Spot notice parsing, the page and the log line.
import { describe, expect, it } from 'vitest';
import { isComplete, parseIdentityField, UNKNOWN, UNKNOWN_IDENTITY } from '../../userdata/app/identity.js';
import { formatEvent } from '../../userdata/app/log.js';
import { escapeHtml, renderHelloPage } from '../../userdata/app/page.js';
import { parseInterruptionNotice, parseRebalanceRecommendation } from '../../userdata/app/spot-watcher.js';

describe('parseIdentityField', () => {
  it.each([
    ['instanceId', 'i-0123456789abcdef0\n', 'i-0123456789abcdef0'],
    ['instanceId', 'i-12345678', 'i-12345678'],
    ['availabilityZone', 'us-east-1a', 'us-east-1a'],
    ['availabilityZone', 'us-west-2-lax-1a', 'us-west-2-lax-1a'],
    ['instanceType', 'c7gn.16xlarge', 'c7gn.16xlarge'],
    ['instanceType', 'u-6tb1.metal', 'u-6tb1.metal'],
    ['lifecycle', 'spot', 'spot'],
    ['lifecycle', 'on-demand', 'on-demand'],
  ] as const)('accepts %s %j', (key, raw, expected) => {
    expect(parseIdentityField(key, raw)).toBe(expected);
  });

  it.each([
    ['instanceId', undefined],
    ['instanceId', ''],
    ['instanceId', '<html>error</html>'],
    ['instanceId', 'i-XYZ'],
    ['availabilityZone', '{"az":"us-east-1a"}'],
    ['instanceType', 't3micro'],
    ['lifecycle', 'SPOT!'],
  ] as const)('turns %s %j into unknown', (key, raw) => {
    expect(parseIdentityField(key, raw)).toBe(UNKNOWN);
  });

  it('calls an identity complete only when no field is unknown', () => {
    const full = { instanceId: 'i-12345678', availabilityZone: 'us-east-1a', instanceType: 't3.micro', lifecycle: 'spot' };
    expect(isComplete(full)).toBe(true);
    expect(isComplete({ ...full, lifecycle: UNKNOWN })).toBe(false);
    expect(isComplete(UNKNOWN_IDENTITY)).toBe(false);
  });
});

describe('Spot notices', () => {
  it('reads the instance-action document', () => {
    expect(parseInterruptionNotice('{"action": "terminate", "time": "2026-11-22T17:30:00Z"}')).toEqual({
      action: 'terminate',
      time: '2026-11-22T17:30:00Z',
    });
    expect(parseInterruptionNotice('{"action":"hibernate","time":"2026-11-22T17:30:00Z"}').action).toBe('hibernate');
  });

  it.each([
    ['not json', /not JSON/],
    ['[1]', /not a JSON object/],
    ['{"action":"reboot","time":"2026-11-22T17:30:00Z"}', /"action" must be terminate, stop or hibernate/],
    ['{"action":"stop"}', /"time" must be a timestamp/],
    ['{"action":"stop","time":"soon"}', /"time" must be a timestamp/],
  ])('refuses instance-action %j', (body, message) => {
    expect(() => parseInterruptionNotice(body)).toThrow(message);
  });

  it('reads the rebalance recommendation and refuses a malformed one', () => {
    expect(parseRebalanceRecommendation('{"noticeTime":"2026-11-22T17:00:00Z"}')).toEqual({
      noticeTime: '2026-11-22T17:00:00Z',
    });
    expect(() => parseRebalanceRecommendation('{"time":"2026-11-22T17:00:00Z"}')).toThrow(/"noticeTime" must be a timestamp/);
  });
});

describe('renderHelloPage', () => {
  it('names the instance and the details it knows', () => {
    const page = renderHelloPage({ instanceId: 'i-12345678', availabilityZone: 'us-east-1a', instanceType: 't3.micro', lifecycle: 'spot' });
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<h1>hello from i-12345678</h1>');
    expect(page).toContain('<p>us-east-1a &middot; t3.micro &middot; spot</p>');
  });

  it('leaves out unknown details, and the details line when nothing is known', () => {
    expect(renderHelloPage({ ...UNKNOWN_IDENTITY, instanceType: 't3.micro' })).toContain('<p>t3.micro</p>');
    const page = renderHelloPage(UNKNOWN_IDENTITY);
    expect(page).toContain('<h1>hello from unknown</h1>');
    expect(page).not.toContain('<p>');
  });

  it('escapes markup', () => {
    expect(escapeHtml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  });
});

describe('formatEvent', () => {
  it('writes one JSON line whose own time and event cannot be overridden by fields', () => {
    const at = new Date('2026-11-22T17:00:00.000Z');
    const line = formatEvent('spot-interruption-notice', { time: 'later', event: 'other', action: 'stop' }, at);
    expect(line).not.toContain('\n');
    expect(line).toBe('{"time":"2026-11-22T17:00:00.000Z","event":"spot-interruption-notice","action":"stop"}');
  });
});
