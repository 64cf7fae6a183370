/**
 * Compiles runner.ts to one plain ESM file with esbuild, once per process, so each Lambda child starts with
 * bare `node` (about 40 ms) instead of loading a TypeScript loader (hundreds of ms per cold start).
 *
 * Why a private directory: the compiled runner is forked for every cold start, so whoever can write it runs code as
 * the user of the local cloud. A predictable name in the shared temp dir (`/tmp` is world-writable) could be planted
 * first by another local user and would be reused as found. The file therefore lives in a directory this process
 * creates with `mkdtemp` (mode 0700, a random name nobody can claim in advance), is written with mode 0600, is
 * never reused across processes, and is removed when the process exits.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

let compiled: Promise<string> | undefined;

/**
 * Absolute path of the compiled runner (.mjs), inside a directory private to this process.
 * @throws the esbuild error if runner.ts does not compile (the next call tries again).
 */
export function runnerBundlePath(): Promise<string> {
  compiled ??= compile().catch((err: unknown) => {
    compiled = undefined;
    throw err;
  });
  return compiled;
}

async function compile(): Promise<string> {
  const entry = fileURLToPath(new URL('./runner.ts', import.meta.url));
  const output = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const dir = mkdtempSync(join(tmpdir(), 'spotweb-lambda-runner-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'runner.mjs');
  // `wx`: fail rather than follow anything already there (nothing should be: the directory is new and ours).
  writeFileSync(file, output.outputFiles[0]!.text, { mode: 0o600, flag: 'wx' });
  return file;
}
