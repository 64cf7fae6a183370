import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { buildApp } from '../../infra/build-app.js';
import type { SpotWebStack } from '../../infra/spot-web-stack.js';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

export interface Synthesized {
  readonly app: App;
  readonly stack: SpotWebStack;
  readonly template: Template;
}

/**
 * Builds the app as `cdk synth` would (cdk.json's feature flags, `-c` values as context), without bundling
 * the Lambda unless asked: most tests read the template, not the bundle.
 */
export function synthesize(context: Record<string, unknown> = {}, opts: { bundle?: boolean; outdir?: string } = {}): Synthesized {
  const app = new App({
    outdir: opts.outdir,
    context: {
      ...cdkJson.context,
      ...(opts.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
  const stack = buildApp(app);
  return { app, stack, template: Template.fromStack(stack) };
}
