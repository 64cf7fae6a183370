import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app.js';

// The CDK app entry (cdk.json runs it with tsx). A configuration error is one clear line, not a stack trace.
const app = new App();
try {
  buildApp(app);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
app.synth();
