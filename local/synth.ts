import { App } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { buildApp } from '../infra/build-app.js';
import { ConfigError } from '../infra/config.js';
import { UserError } from '../common/user-error.js';

export interface SynthesizedStack {
  readonly stackName: string;
  /** The cloud assembly directory (cdk.out), where the Lambda asset folders are. */
  readonly assemblyDir: string;
  readonly template: Record<string, any>;
}

export class SynthError extends UserError {
  constructor(cause: unknown) {
    super(
      `Synthesizing the CDK app failed: ${cause instanceof Error ? cause.message : String(cause)}\n` +
        // A configuration error is whole as it stands; `cdk synth` without the same -c values would not even show it.
        (cause instanceof ConfigError
          ? 'Fix that -c value (README, Configuration), then run `npm start` again.'
          : 'Run `npx cdk synth` with the same -c values to see the full error; fix it, then run `npm start` again.'),
      { cause },
    );
    this.name = 'SynthError';
  }
}

/**
 * Synthesizes the very app `cdk deploy` would (same entry, cdk.json's feature flags and context, Lambda
 * bundled by esbuild) into `outdir`, and returns the stack's template.
 */
export function synthesizeStack(outdir: string, context: Record<string, unknown> = {}): SynthesizedStack {
  try {
    const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as { context?: Record<string, unknown> };
    const app = new App({
      outdir,
      // Asset metadata names each Lambda's bundle folder in the assembly (the CLI turns it on the same way).
      context: { ...cdkJson.context, 'aws:cdk:enable-asset-metadata': true, ...context },
      // CDK's built-in CloudFormation validation took 3-5 s of each start here (a WASM rule engine) and can only
      // warn: CDK turns its errors into warnings. `cdk synth` and `cdk deploy` still run it, and the test suite
      // lints the same template with cfn-lint. cdk-nag, which does fail a synth, still runs.
      builtinCloudFormationValidation: false,
    });
    const stack = buildApp(app);
    const assembly = app.synth();
    const artifact = assembly.getStackByName(stack.stackName);
    return { stackName: stack.stackName, assemblyDir: assembly.directory, template: artifact.template };
  } catch (err) {
    throw new SynthError(err);
  }
}
