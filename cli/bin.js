#!/usr/bin/env node
// The CLI is TypeScript like the rest of the project; tsx's loader lets Node 20 run it without a build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('./main.ts');
const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: abort.signal });
