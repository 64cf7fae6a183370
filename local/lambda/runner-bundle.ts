/**
 * Compiles runner.ts to one plain ESM file with esbuild, once per process, so each Lambda child starts with
 * bare `node` (about 40 ms) instead of loading a TypeScript loader (hundreds of ms per cold start).
 * The file lands in the OS temp dir under a name derived from its content, so concurrent processes share it.
 */
import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

let compiled: Promise<string> | undefined;

/** Absolute path of the compiled runner (.mjs). */
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
  const code = output.outputFiles[0]!.text;
  const file = join(tmpdir(), `spotweb-lambda-runner-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) {
    // Write then rename, so a concurrent process never forks a half-written file.
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, code);
    renameSync(partial, file);
  }
  return file;
}
