/**
 * `npx tsx test/support/install-tools.ts`: installs (as root, with apt-get) the system programs the tests drive, from
 * the one list in system-tools.ts, or exits 1 with one line naming what to install. `.ci/run` runs it before
 * `npm test`, whose global setup checks the same list again.
 */
import { ensureTools, MissingToolsError, TEST_TOOLS } from './system-tools.js';

try {
  ensureTools(TEST_TOOLS);
} catch (err) {
  if (!(err instanceof MissingToolsError)) throw err;
  console.error(err.message);
  process.exit(1);
}
