import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { ConsoleActions } from '../../cli/console/actions.js';
import { ConsoleCollector } from '../../cli/console/collector.js';
import { startConsole, TOKEN_HEADER, type ConsoleServer } from '../../cli/console/server.js';
import { resolveTarget, type Target } from '../../cli/target.js';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { launchBrowser } from '../support/browser.js';

/**
 * The console in Debian's Chromium against the local cloud: what a workshop user does with it. Screenshots go to
 * the test's temporary directory, which is kept when a test fails (its path is printed) and removed otherwise.
 */
describe('live console in a real browser against the local cloud', () => {
  let dir: string;
  let keep = false;
  let cloud: LocalCloud;
  let target: Target;
  let server: ConsoleServer;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;
  const shot = (name: string, p: Page = page) => p.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  const keepOnFailure = () => onTestFailed(() => void (keep = true));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spotweb-console-'));
    // 0.1: a 12 s warning, so even on a busy machine the handler's deregistration comes well before the reclaim
    // and the page (polling every 100 ms) sees the target out of service while the instance still runs.
    cloud = await startLocalCloud({ port: 0, timeScale: 0.1, workDir: join(dir, 'cloud'), context: { requestsPerTarget: '1000000' } });
    target = await resolveTarget({ endpoint: cloud.endpoint, credentials: cloud.credentials });
    server = await startConsole({ target, intervalMs: 100 });
    browser = await launchBrowser();
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    target?.close();
    await cloud?.close();
    if (keep) console.log(`console test: screenshots and work files kept in ${dir}`);
    else if (!process.env.SPOTWEB_KEEP_CONSOLE_SHOTS) rmSync(dir, { recursive: true, force: true });
    else console.log(`console test: screenshots in ${dir}`);
  });

  it('shows two healthy targets; "interrupt" (confirmed) shows the target leave service, the instance go, and the warning on the timeline', async () => {
    keepOnFailure();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.urlWithToken);
    await page.locator('#instances tbody tr[data-health="healthy"]').nth(1).waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('#instances tbody tr').count()).toBe(2);
    await expect.poll(() => page.locator('#connection').textContent()).toBe('live');
    await shot('1-two-healthy');

    // Every health and state the page showed per instance, so a short-lived state is not missed between polls.
    // (Page code as text: the test program is type-checked without the DOM library.)
    await page.evaluate(`{
      const seen = (window.seen = {});
      const record = () => {
        for (const row of document.querySelectorAll('#instances tbody tr')) {
          const list = (seen[row.dataset.instance] ??= []);
          const value = row.dataset.state + '/' + row.dataset.health;
          if (list.at(-1) !== value) list.push(value);
        }
      };
      new MutationObserver(record).observe(document.querySelector('#instances tbody'), { childList: true, subtree: true });
    }`);

    // A steady load from the console's own button, so the target has requests in flight when it is deregistered.
    await page.fill('#load-rate', '50');
    await page.click('#act-load');
    await page.click('#confirm-ok');
    await expect.poll(() => page.locator('#act-load').textContent(), { timeout: 10_000 }).toMatch(/^Stop load/);

    await page.click('#act-interrupt');
    await expect.poll(() => page.locator('#confirm-text').textContent()).toMatch(/from 2 to 1/);
    await shot('2-confirm');
    await page.click('#confirm-ok');

    const warning = page.locator('#markers li[data-kind="warning"]');
    // Generous: on a machine shared with other suites the fleet has taken 25 s to act on the new capacity.
    await warning.first().waitFor({ timeout: 90_000 });
    const victim = /(i-[0-9a-f]+)/.exec((await warning.first().textContent()) ?? '')![1]!;
    await page.locator(`#instances tr[data-instance="${victim}"] .detail.reclaim`).waitFor({ timeout: 5_000 }).catch(() => undefined);
    await shot('3-warned');
    // The instance leaves the table once EC2 no longer lists it.
    await page.locator(`#instances tr[data-instance="${victim}"]`).waitFor({ state: 'detached', timeout: 90_000 });
    await shot('4-gone');
    await expect.poll(() => page.locator('#instances tbody tr').count()).toBe(1);
    expect(await page.locator('#fleet-summary').textContent()).toMatch(/1 \/ 1/);

    const seen = (await page.evaluate(`window.seen[${JSON.stringify(victim)}]`)) as string[];
    // Out of the load balancer while it still ran, as AWS shows it: draining, whether the drain took the whole
    // deregistration delay or completed early (ELB displays draining until the delay ends: 12 s here, from the
    // handler's deregistration, which is about the reclaim's time, so the page polling every 100 ms cannot miss it).
    expect(seen, `states seen: ${seen.join(' → ')}`).toContain('running/draining');
    expect(seen.indexOf('running/draining')).toBeGreaterThan(seen.indexOf('running/healthy'));
    expect(seen.indexOf('running/healthy')).toBeGreaterThanOrEqual(0);
    // Never back in service once draining.
    expect(seen.slice(seen.indexOf('running/draining')).filter((s) => s.endsWith('/healthy'))).toEqual([]);
    const kinds = (await page.evaluate(`[...document.querySelectorAll('#markers li')].map((li) => li.dataset.kind + ' ' + li.textContent)`)) as string[];
    expect(kinds.some((k) => k.startsWith('scaling') && k.includes('2 → 1'))).toBe(true);
    expect(kinds.some((k) => k.startsWith('deregistration') && k.includes(victim))).toBe(true);
    expect(kinds.some((k) => k.startsWith('termination') && k.includes(victim))).toBe(true);
    await expect.poll(() => page.locator('#action-log [data-action="interrupt"]').getAttribute('data-action-state'), { timeout: 10_000 }).toBe('succeeded');

    await page.click('#act-load');
    await expect.poll(() => page.locator('#act-load').textContent(), { timeout: 10_000 }).toBe('Start load');
    const load = (await page.locator('#action-log [data-action="load"]').textContent()) ?? '';
    // The load's own summary (whether it saw failures is the interruption tests' business, not the console's).
    expect(load).toMatch(/\d+ requests, \d+ failed/);
    expect(cloud.fleet.capacity).toBe(1);

    // FIS on the last serving instance: confirmed, then refused by the CLI's rail, and the page says why.
    await page.locator('#instances tbody tr button[data-fis]').first().click();
    await page.click('#confirm-ok');
    await expect.poll(() => page.locator('#action-error').textContent(), { timeout: 10_000 }).toMatch(/^Refused: refusing to interrupt 1 (of the fleet's 1 instance|instance\(s\): 0 serve now)/);
    expect(errors).toEqual([]);
    await shot('5-after');
  }, 300_000);

  it('reads the AWS way too: the same collector, without the local extras, on the same endpoint', async () => {
    keepOnFailure();
    // What the console does against AWS (CloudWatch metrics and alarms, the deregistration delay), through moto.
    const asAws: Target = { ...target, kind: 'aws', localStatus: undefined };
    const collector = new ConsoleCollector({ target: asAws, actions: new ConsoleActions(asAws), intervalMs: 100 });
    await collector.start();
    await collector.stop();
    const view = collector.view();
    expect(view.source).toMatchObject({ ok: true });
    expect(view.snapshot?.target).toBe('aws');
    expect(view.snapshot?.instances.map((i) => i.instanceId)).toEqual(cloud.fleet.instances().map((i) => i.instanceId));
    expect(view.snapshot?.loadBalancer).toBeUndefined();
    expect(view.deregistrationDelaySeconds).toBe(120);
    expect(view.alarms?.error).toBeUndefined();
    expect(view.trafficSources).toEqual(['CloudWatch ALB metrics (1-minute sums)']);
  });

  it('is usable in a narrow window and in the dark scheme', async () => {
    keepOnFailure();
    const narrow = await browser.context.newPage();
    await narrow.setViewportSize({ width: 390, height: 844 });
    await narrow.emulateMedia({ colorScheme: 'dark' });
    await narrow.goto(server.urlWithToken);
    await narrow.locator('#instances tbody tr').first().waitFor({ timeout: 10_000 });
    await shot('6-narrow-dark', narrow);
    // Nothing wider than the window: no sideways scrolling.
    expect(await narrow.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    const background = (await narrow.evaluate('getComputedStyle(document.body).backgroundColor')) as string;
    expect(luminance(background)).toBeLessThan(0.1);
    expect(await narrow.locator('#act-interrupt').isVisible()).toBe(true);
    await narrow.close();
    expect(luminance((await page.evaluate('getComputedStyle(document.body).backgroundColor')) as string)).toBeGreaterThan(0.8);
  });

  it('refuses actions without the token, from another origin, and through another host name', async () => {
    keepOnFailure();
    const post = (headers: Record<string, string>) =>
      fetch(new URL('/api/actions', server.url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ action: 'interrupt' }) });
    expect((await post({})).status).toBe(401);
    expect((await post({ [TOKEN_HEADER]: 'wrong' })).status).toBe(401);
    expect((await post({ [TOKEN_HEADER]: server.token, origin: 'http://evil.example' })).status).toBe(403);
    expect((await post({ [TOKEN_HEADER]: server.token, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const asForm = await fetch(new URL('/api/actions', server.url), { method: 'POST', headers: { [TOKEN_HEADER]: server.token, 'content-type': 'text/plain' }, body: '{"action":"interrupt"}' });
    expect(asForm.status).toBe(415);
    // The safety rail of the CLI holds here too: not below one instance (the CLI's usage error, exit 2: a bad request).
    const refused = await post({ [TOKEN_HEADER]: server.token });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toMatch(/at least 1 instance must keep serving/);
    expect(cloud.fleet.capacity).toBe(1);
    // DNS rebinding: a page of another site that resolves its name to 127.0.0.1 does not get the data either.
    const port = new URL(server.url).port;
    const rebound = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ get }) => get({ host: '127.0.0.1', port, path: '/api/view', headers: { host: `evil.example:${port}` } }, (res) => resolve(res.statusCode ?? 0)).on('error', reject));
    });
    expect(rebound).toBe(421);
  });

  it('says when it lost its data source', async () => {
    keepOnFailure();
    await cloud.close();
    const banner = page.locator('#lost');
    await banner.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await banner.textContent()).toMatch(/Lost the data source/);
    expect(await page.locator('#connection').textContent()).toBe('data source lost');
    expect(await page.locator('#act-interrupt').isDisabled()).toBe(true);
    await shot('7-source-lost');
  });
});

/** Relative luminance (0 black … 1 white) of a CSS `rgb(r, g, b)` colour. */
function luminance(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? ['0', '0', '0']).slice(0, 3).map((c) => {
    const v = Number(c) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
