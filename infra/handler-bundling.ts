import { fileURLToPath } from 'node:url';

/**
 * How the interruption handler is bundled, shared by its NodejsFunction and bench/handler-cold-start.ts so the
 * benchmark measures the bundle that ships.
 */
export const HANDLER_BUNDLING = {
  minify: true,
  // The SDK's ES module builds let esbuild drop what the handler never calls; its CommonJS builds (esbuild's
  // default pick on platform node) do not.
  mainFields: ['module', 'main'],
  target: 'node22',
  // The SDK's default credential chain → environment credentials only (why: handlers/interruption/env-credentials.ts).
  alias: {
    '@aws-sdk/credential-provider-node': fileURLToPath(new URL('../handlers/interruption/env-credentials.ts', import.meta.url)),
  },
} as const;

/** The aliases as esbuild command-line arguments, the form NodejsFunction passes on. */
export function aliasArgs(alias: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(alias).map(([from, to]) => [`--alias:${from}`, to]));
}
