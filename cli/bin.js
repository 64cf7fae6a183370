#!/usr/bin/env node
// The CLI is TypeScript like the rest of the project; tsx's loader lets Node 20 run it without a build step.
import { register } from 'tsx/esm/api';

register();
const { cliMain } = await import('./main.ts');
await cliMain();
