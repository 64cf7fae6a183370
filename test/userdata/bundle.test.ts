import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bundleInstanceApp } from '../../userdata/bundle.js';

describe('bundleInstanceApp', () => {
  it('is one self-contained CommonJS file needing only Node built-ins', () => {
    const bundle = bundleInstanceApp();
    console.log(`instance app bundle: ${bundle.length} bytes`);
    const required = [...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(required.length).toBeGreaterThan(0);
    expect(required.every((name) => name?.startsWith('node:') || ['http', 'net'].includes(name ?? ''))).toBe(true);
    expect(bundle).not.toMatch(/^\s*(import|export)\s/m);
  });

  it('is built once per process', () => {
    expect(bundleInstanceApp()).toBe(bundleInstanceApp());
  });

  it('exits with EX_CONFIG and a JSON fatal line when started with a bad setting', () => {
    const result = spawnSync(process.execPath, ['-e', bundleInstanceApp()], {
      env: { PATH: process.env.PATH ?? '', PORT: '99999' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(78);
    expect(JSON.parse(result.stdout.trim())).toMatchObject({ event: 'fatal', message: expect.stringContaining('PORT must be between') });
  });
});
