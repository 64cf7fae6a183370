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
/** Per function: the packages that contribute bytes to its bundle (what tree shaking kept). */
const packagesIn: Record<'handler' | 'confirmation', Set<string>> = { handler: new Set(), confirmation: new Set() };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'handler-bundle-'));
  for (const entry of ['handler', 'confirmation'] as const) {
    const { metafile } = (await build({ ...handlerBuildOptions(join(dir, `${entry}.cjs`), entry), metafile: true })) as { metafile: Metafile };
    if (entry === 'handler') inputs = Object.keys(metafile.inputs);
    for (const output of Object.values(metafile.outputs)) {
      for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
        const pkg = /node_modules\/(@[^/]+\/[^/]+)/.exec(file)?.[1];
        if (pkg && bytesInOutput > 0) packagesIn[entry].add(pkg);
      }
    }
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('interruption handler bundle', () => {
  it('holds the ELB client only (the confirmation\'s SNS and DynamoDB clients are its own bundle\'s) and takes credentials from the environment only', () => {
    expect(packagesIn.handler).toContain('@aws-sdk/client-elastic-load-balancing-v2');
    expect(packagesIn.handler).not.toContain('@aws-sdk/client-sns');
    expect(packagesIn.handler).not.toContain('@aws-sdk/client-dynamodb');
    expect(packagesIn.confirmation).toContain('@aws-sdk/client-sns');
    expect(packagesIn.confirmation).toContain('@aws-sdk/client-dynamodb');
    expect(packagesIn.confirmation).not.toContain('@aws-sdk/client-elastic-load-balancing-v2');
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
  it('is bundled by the stack with both stand-ins, for the handler and for its drain confirmation', () => {
    const outdir = join(dir, 'cdk.out');
    synthesize({}, { bundle: true, outdir }).app.synth();
    const assets = readdirSync(outdir)
      .filter((name) => name.startsWith('asset.'))
      .map((name) => readFileSync(join(outdir, name, 'index.js'), 'utf8'));
    // Both read TARGET_GROUP_ARNS; only the confirmation reads CONFIRMATION_TABLE_NAME.
    const bundles = [
      assets.filter((code) => code.includes('TARGET_GROUP_ARNS') && !code.includes('CONFIRMATION_TABLE_NAME')),
      assets.filter((code) => code.includes('CONFIRMATION_TABLE_NAME')),
    ];
    for (const found of bundles) {
      expect(found).toHaveLength(1);
      expect(found[0]).toContain('event streams are not bundled');
      expect(found[0]).not.toMatch(/AWS_CONTAINER_CREDENTIALS_FULL_URI|AWS_WEB_IDENTITY_TOKEN_FILE/);
    }
    expect(bundles[0]![0]).not.toBe(bundles[1]![0]);
  });
});

describe('event-stream stand-in', () => {
  it('fails loudly if an operation ever needs event streams', () => {
    expect(() => new EventStreamSerde()).toThrow(/event streams are not bundled/);
    expect(() => eventStreamSerdeProvider()).toThrow(/event streams are not bundled/);
  });
});
