import type { BuildOptions } from 'esbuild';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The bundling settings NodejsFunction takes for the interruption handler. */
export interface HandlerBundling {
  readonly minify: boolean;
  readonly mainFields: string[];
  readonly target: string;
  /**
   * Paths relative to the project root, where NodejsFunction runs esbuild when it bundles locally. It always does
   * here: esbuild is a pinned dev dependency and Docker bundling is off (its image runs esbuild in `/`, where these
   * paths would not resolve).
   */
  readonly alias: Readonly<Record<string, string>>;
}

/**
 * How the interruption handler is bundled: by its NodejsFunction, and through `handlerBuildOptions` by the
 * benchmarks (bench/build-handlers.ts) and the moto integration test, so they measure and test what ships.
 */
export const HANDLER_BUNDLING: HandlerBundling = {
  minify: true,
  // The SDK's ES module builds let esbuild drop what the handler never calls; its CommonJS builds (esbuild's
  // default pick on platform node) do not.
  mainFields: ['module', 'main'],
  target: 'node22',
  alias: {
    // The SDK's default credential chain → environment credentials only (why: handlers/interruption/env-credentials.ts).
    '@aws-sdk/credential-provider-node': './handlers/interruption/env-credentials.ts',
    // Event-stream support, which neither client uses (why: handlers/interruption/no-event-streams.ts).
    '@smithy/core/event-streams': './handlers/interruption/no-event-streams.ts',
  },
};

/** The aliases as esbuild command-line arguments, the form NodejsFunction passes on. */
export function aliasArgs(alias: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(alias).map(([from, to]) => [`--alias:${from}`, to]));
}

/** The entry points of the interruption path's functions (infra/interruption-handler.ts), under handlers/interruption/. */
export const FUNCTION_ENTRIES = { handler: 'index.ts', confirmation: 'confirm.ts' } as const;

/**
 * esbuild API options that bundle one of the functions (the handler by default) into `outfile` as its
 * NodejsFunction does (CommonJS, Node).
 */
export function handlerBuildOptions(outfile: string, entry: keyof typeof FUNCTION_ENTRIES = 'handler'): BuildOptions {
  return {
    entryPoints: [`${PROJECT_ROOT}handlers/interruption/${FUNCTION_ENTRIES[entry]}`],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // NodejsFunction bundling locally runs esbuild in the project root; the aliases are relative to it.
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'warning',
    ...HANDLER_BUNDLING,
    alias: { ...HANDLER_BUNDLING.alias },
  };
}
