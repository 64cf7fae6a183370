import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONFIG_KEYS, resolveConfig } from './config.js';
import { SpotWebStack } from './spot-web-stack.js';
import { bundleInstanceApp } from '../userdata/bundle.js';
import { renderUserData } from '../userdata/render.js';

export const STACK_NAME = 'SpotWeb';

/** Builds the app: configuration from CDK context (`-c key=value`), one stack, cdk-nag as a validation plugin. */
export function buildApp(app: App): SpotWebStack {
  const raw = Object.fromEntries(CONFIG_KEYS.map((key) => [key, app.node.tryGetContext(key)]));
  const config = resolveConfig(raw);
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
