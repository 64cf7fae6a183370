/**
 * What the local Lambda runtime executes must be the project's, not something another local user planted: the
 * compiled runner lives in a directory private to the process, and an asset others could write is tightened, or
 * refused when it is not ours.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { secureAsset, UnsafeAssetError } from '../../local/lambda/asset-guard.js';
import { runnerBundlePath } from '../../local/lambda/runner-bundle.js';
import { startLambdaWorker } from '../../local/lambda/worker.js';

const scratch = mkdtempSync(join(tmpdir(), 'spotweb-lambda-files-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function asset(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'index.js'), 'exports.handler = async () => "ok";\n');
  return dir;
}

describe('the compiled Lambda runner', () => {
  it('is written into a directory only this process can use, never straight into the shared temp dir', async () => {
    const file = await runnerBundlePath();
    expect(dirname(dirname(file))).toBe(tmpdir());
    expect(dirname(file)).not.toBe(tmpdir());
    expect(statSync(dirname(file)).mode & 0o077).toBe(0);
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  it('is the same file for every cold start of this process', async () => {
    expect(await runnerBundlePath()).toBe(await runnerBundlePath());
  });
});

describe('secureAsset', () => {
  it('removes group and other write permission from an asset CDK staged with 0777', () => {
    const dir = asset('staged-0777');
    chmodSync(dir, 0o777);
    chmodSync(join(dir, 'index.js'), 0o666);
    secureAsset(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, 'index.js')).mode & 0o777).toBe(0o644);
  });

  it('refuses a symbolic link inside the asset', () => {
    const dir = asset('with-link');
    symlinkSync('/etc/hostname', join(dir, 'linked.js'));
    expect(() => secureAsset(dir)).toThrow(UnsafeAssetError);
    expect(() => secureAsset(dir)).toThrow(/linked\.js is a symbolic link/);
  });

  it('refuses an entry that belongs to another user', () => {
    const dir = asset('foreign');
    const uid = process.getuid!();
    if (uid === 0) {
      // As root, make the file really belong to someone else (nobody).
      chownSync(join(dir, 'index.js'), 65534, 65534);
      expect(() => secureAsset(dir)).toThrow(/index\.js belongs to uid 65534/);
    } else {
      expect(() => secureAsset(dir, uid + 1)).toThrow(UnsafeAssetError);
    }
  });

  it('keeps the local Lambda runtime from starting a function whose asset is not safe', async () => {
    const dir = asset('refused');
    symlinkSync(join(dir, 'index.js'), join(dir, 'other.js'));
    await expect(
      startLambdaWorker({ functionName: 'fn', assetDir: dir, handler: 'index.handler', timeoutMs: 1000, environment: {} }),
    ).rejects.toThrow(UnsafeAssetError);
  });
});
