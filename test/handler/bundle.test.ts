// What goes into the shipped Lambda bundle: the aliases in infra/handler-bundling.ts must take effect. Were the
// SDK to rename a specifier, an alias would silently stop matching and the dropped code would come back.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlerBuildOptions } from '../../infra/handler-bundling.js';
import { EventStreamSerde, eventStreamSerdeProvider } from '../../handlers/interruption/no-event-streams.js';
import { synthesize } from '../support/synth.js';

let dir: string;
let inputs: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'handler-bundle-'));
  const { metafile } = (await build({ ...handlerBuildOptions(join(dir, 'index.cjs')), metafile: true })) as { metafile: Metafile };
  inputs = Object.keys(metafile.inputs);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('interruption handler bundle', () => {
  it('holds both clients and takes credentials from the environment only', () => {
    expect(inputs.some((f) => f.includes('@aws-sdk/client-elastic-load-balancing-v2/'))).toBe(true);
    expect(inputs.some((f) => f.includes('@aws-sdk/client-sns/'))).toBe(true);
    expect(inputs).toContain('handlers/interruption/env-credentials.ts');
    expect(inputs.filter((f) => /credential-provider-(node|ini|sso|process|web-identity|imds)\//.test(f))).toEqual([]);
  });

  it('leaves event-stream support out', () => {
    expect(inputs).toContain('handlers/interruption/no-event-streams.ts');
    expect(inputs.filter((f) => f.includes('/submodules/event-streams/'))).toEqual([]);
  });
});

describe('interruption handler asset', () => {
  // The same aliases reach the asset through NodejsFunction's esbuild arguments, not through handlerBuildOptions.
  it('is bundled by the stack with both stand-ins', () => {
    const outdir = join(dir, 'cdk.out');
    synthesize({}, { bundle: true, outdir }).app.synth();
    const bundles = readdirSync(outdir)
      .filter((name) => name.startsWith('asset.'))
      .map((name) => readFileSync(join(outdir, name, 'index.js'), 'utf8'))
      .filter((code) => code.includes('TARGET_GROUP_ARNS'));
    expect(bundles).toHaveLength(1);
    expect(bundles[0]).toContain('event streams are not bundled');
    expect(bundles[0]).not.toMatch(/AWS_CONTAINER_CREDENTIALS_FULL_URI|AWS_WEB_IDENTITY_TOKEN_FILE/);
  });
});

describe('event-stream stand-in', () => {
  it('fails loudly if an operation ever needs event streams', () => {
    expect(() => new EventStreamSerde()).toThrow(/event streams are not bundled/);
    expect(() => eventStreamSerdeProvider()).toThrow(/event streams are not bundled/);
  });
});
