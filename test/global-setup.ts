/**
 * Runs once before the test files (vitest globalSetup): installs or names the system programs the tests drive,
 * and gives the run one temporary directory of its own. Every test, and every process a test starts, makes its
 * temporary files under it (TMPDIR), so the teardown removes them all, also when a test failed or forgot.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTools, TEST_TOOLS } from './support/system-tools.js';

export default function setup(): () => void {
  ensureTools(TEST_TOOLS);
  const previous = process.env.TMPDIR;
  const runDir = mkdtempSync(join(tmpdir(), 'spotweb-test-run-'));
  process.env.TMPDIR = runDir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(runDir, { recursive: true, force: true });
  };
}
