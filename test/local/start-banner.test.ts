import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../harness/wait-for.js';
import { openPane } from '../support/tmux.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const MAIN = join(ROOT, 'local/main.ts');

/** The banner's copy-paste commands: cut, they would not run; the terminal wraps them. */
const COMMAND = /^ {4}(export|aws) /;

// `npm start` as a new user runs it, in a real terminal: once the alarms have settled after "Ready" (a simulated
// minute, 3 s at time scale 0.05), the banner's key lines are still on the screen, the settling is one line, and
// nothing but the banner's commands is wider than the terminal.
describe('npm start in a real terminal', () => {
  it.each([
    { columns: 80, rows: 24 },
    { columns: 200, rows: 50 },
  ])('at $columns×$rows keeps the banner on screen once the alarms settled', async ({ columns, rows }) => {
    // Started from a directory of its own, the local cloud keeps its work directory (.local-cloud) there: one the
    // user runs from the checkout is not in the way.
    const cwd = mkdtempSync(join(tmpdir(), 'spotweb-banner-'));
    const pane = await openPane(`${TSX} ${MAIN} --time-scale 0.05 --port 0`, { columns, rows }, {}, { cwd });
    const screenText = async (): Promise<string> => (await pane.screen()).join('\n');
    try {
      await waitFor('Ready', async () => (await pane.screen()).some((l) => /^ {2}Ready /.test(l)), 120_000).catch(async (e: Error) => {
        throw new Error(`${e.message}; screen:\n${await screenText()}`);
      });
      await waitFor('the alarms to settle', async () => (await pane.screen()).some((l) => /^ {2}Alarms: /.test(l)), 60_000).catch(async (e: Error) => {
        throw new Error(`${e.message}; screen:\n${await screenText()}`);
      });
      // Two more evaluation rounds: nothing else is due to change.
      await new Promise((r) => setTimeout(r, 6_000));
      const screen = await pane.screen();
      const text = screen.join('\n');
      console.log(`npm start at ${columns}×${rows}, the screen after the alarms settled:\n${text}`);
      expect(screen.filter((l) => /^ {2}spotweb is up: +http:\/\/127\.0\.0\.1:\d+ /.test(l)), text).toHaveLength(1);
      expect(screen.filter((l) => /^ {2}Live console: +http:\/\/127\.0\.0\.1:\d+\/#/.test(l)), text).toHaveLength(1);
      const ready = screen.findIndex((l) => /^ {2}Ready \d+\.\d s /.test(l));
      expect(ready, text).toBeGreaterThan(0);
      // Every alarm left INSUFFICIENT_DATA for OK, with its OK notification: said in one line, and nothing else after Ready.
      const summary = /^ {2}Alarms: (\d+) of \1 OK \(each sent its OK notification to the topic\)$/;
      expect(screen.filter((l) => summary.test(l)), text).toHaveLength(1);
      expect(screen.slice(ready + 1).filter((l) => l.trim() !== '' && !summary.test(l)), text).toEqual([]);
      expect(text).not.toMatch(/ALARM STATE|NOTIFICATION/);
      // From the banner on (the deploy's progress above it is not this test's business).
      const banner = Math.max(0, screen.findIndex((l) => /^ {2}Spot Fleet /.test(l)));
      for (const line of screen.slice(banner).filter((l) => !COMMAND.test(l))) {
        expect(line.length, `a line wider than ${columns}: ${line}`).toBeLessThanOrEqual(columns);
      }
      await pane.keys('C-c');
      await waitFor('npm start to stop on Ctrl-C', () => pane.exited(), 30_000);
      expect(await screenText()).toMatch(/Stopped: instances, load balancer, Lambda workers, moto: gone; ports freed\./);
    } finally {
      await pane.close();
      rmSync(cwd, { recursive: true, force: true });
    }
    // A whole start on a busy 2-core machine (40 s seen with other suites running), then the settling and Ctrl-C.
  }, 240_000);
});
