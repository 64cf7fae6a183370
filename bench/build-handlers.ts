// Builds the handlers the benchmarks compare: ours bundled as NodejsFunction bundles it, the workshop baseline
// transpiled only, so it loads the SDK from node_modules as the Lambda runtime's built-in SDK would, and floors
// (bench/floors) bundled exactly as ours.
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { HANDLER_BUNDLING, handlerBuildOptions } from '../infra/handler-bundling.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Inside the repo so the baseline's bare imports resolve to the repo's node_modules.
const OUT_DIR = join(REPO, 'node_modules', '.cache', 'spotweb-bench');

/** The environment the stack gives the handler (stand-in ARNs), enough for it to load and build its clients. */
export const HANDLER_ENVIRONMENT: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  TARGET_GROUP_ARNS: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef',
  DEREGISTRATION_DELAY_SECONDS: '120',
  TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:interruptions',
  CONFIRMATION_TABLE_NAME: 'spotweb-confirmations',
  POWERTOOLS_SERVICE_NAME: 'interruption-handler',
  POWERTOOLS_METRICS_NAMESPACE: 'spotweb',
};

export interface BuiltHandlers {
  readonly bundled: string;
  readonly bundleBytes: number;
  readonly bundleGzipBytes: number;
  readonly baseline: string;
  /**
   * The baseline as a Lambda asset (a directory holding `index.js`, handler `index.handler`), for the local Lambda
   * runtime to run in place of ours. It lies inside the repo's node_modules, so its bare `@aws-sdk/*` imports
   * resolve to the project's SDK the way a function without a bundled SDK resolves the runtime's built-in one.
   */
  readonly baselineAssetDir: string;
}

/** Bundles the module at `entry` (an absolute path) into `outfile` exactly as ours is bundled: same options, same aliases. */
export async function bundleLikeOurs(entry: string, outfile: string): Promise<void> {
  await build({ ...handlerBuildOptions(outfile), entryPoints: [entry] });
}

/**
 * `file` as a Lambda asset: a directory holding it as `index.js` (the stack function's handler is `index.handler`),
 * next to a package.json that declares CommonJS, as NodejsFunction builds it (the repo's says "type": "module").
 * @returns the asset directory, under the benchmarks' build directory.
 */
function lambdaAsset(file: string, name: string): string {
  const dir = join(OUT_DIR, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(file, join(dir, 'index.js'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  return dir;
}

/**
 * The Lambda-path floor (bench/floors/deregister-only.ts) as a Lambda asset, for the local Lambda runtime to run in
 * place of ours: one bundled ELBv2 client and a bare DeregisterTargets.
 * @returns the asset directory (handler `index.handler`).
 */
export async function buildLambdaPathFloor(): Promise<string> {
  mkdirSync(OUT_DIR, { recursive: true });
  const bundled = join(OUT_DIR, 'deregister-only.cjs');
  await bundleLikeOurs(join(REPO, 'bench/floors/deregister-only.ts'), bundled);
  return lambdaAsset(bundled, 'lambda-path-floor-asset');
}

export async function buildHandlers(): Promise<BuiltHandlers> {
  mkdirSync(OUT_DIR, { recursive: true });
  const bundled = join(OUT_DIR, 'interruption.cjs');
  const baseline = join(OUT_DIR, 'baseline.cjs');
  await build(handlerBuildOptions(bundled));
  // Transpiled only, in the same module format and for the same Node target as ours.
  await build({
    entryPoints: [join(REPO, 'bench/baseline/handler.ts')],
    outfile: baseline,
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: HANDLER_BUNDLING.target,
    logLevel: 'warning',
  });
  const baselineAssetDir = lambdaAsset(baseline, 'baseline-asset');
  return {
    bundled,
    bundleBytes: statSync(bundled).size,
    bundleGzipBytes: gzipSync(readFileSync(bundled)).length,
    baseline,
    baselineAssetDir,
  };
}
