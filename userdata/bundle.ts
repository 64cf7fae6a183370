import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./app/main.ts', import.meta.url));

let cached: string | undefined;

/**
 * The instance app as one minified CommonJS file for Node 20+, ready for `node app.js`.
 * Built once per process: synth and tests ask for it repeatedly.
 */
export function bundleInstanceApp(): string {
  cached ??= build();
  return cached;
}

function build(): string {
  const result = buildSync({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  // A warning here (import.meta in CommonJS, say) means a program that misbehaves at run time: refuse it.
  if (result.warnings.length > 0) {
    const messages = result.warnings.map((w) => `${w.location?.file ?? ENTRY}:${w.location?.line ?? 0}: ${w.text}`);
    throw new Error(`esbuild warned while bundling the instance app:\n${messages.join('\n')}`);
  }
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error(`esbuild produced no output for ${ENTRY}`);
  return output.text;
}
