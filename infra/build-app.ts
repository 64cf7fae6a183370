import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { resolveConfig } from './config.js';
import { SpotWebStack } from './spot-web-stack.js';
import { bundleInstanceApp } from '../userdata/bundle.js';
import { renderUserData } from '../userdata/render.js';

export const STACK_NAME = 'SpotWeb';

/** Builds the app: configuration from CDK context (`-c key=value`), one stack, cdk-nag as a validation plugin. */
export function buildApp(app: App): SpotWebStack {
  // The whole context, so that a key this app does not know (a typo) is refused rather than ignored.
  const config = resolveConfig(app.node.getAllContext());
  const stack = new SpotWebStack(app, STACK_NAME, {
    description: 'spotweb: a web app on a diversified Spot Fleet behind an ALB, drained on interruption warnings',
    config,
    userData: renderUserData({
      appPort: config.appPort,
      appBundle: bundleInstanceApp(),
      loadBalancerIdleTimeoutSeconds: config.idleTimeoutSeconds,
    }),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
