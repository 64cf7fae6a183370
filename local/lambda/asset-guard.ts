/**
 * Refuses to run a Lambda asset that another local user could have written, and closes the door CDK leaves open.
 *
 * Why: CDK stages a bundled asset through a directory it creates with mode 0777 (aws-cdk-lib
 * `core/lib/asset-staging.js`, `bundle()`: `chmodSync(tempDir, 511)`), renames it to `asset.<hash>`, and reuses an
 * existing `asset.<hash>` as found. Whoever can write that directory can replace `index.js`, which the local Lambda
 * runtime then executes as the user of the local cloud. So before a function's first cold start every entry of its
 * asset must be ours (same uid, no symbolic links), and group and other lose write permission.
 */
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export class UnsafeAssetError extends Error {
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(
      `Refusing to run the Lambda asset: ${path} ${why}. Another local user could have changed the code. ` +
        'Delete the cloud assembly (.local-cloud/cdk.out) and start again.',
    );
    this.name = 'UnsafeAssetError';
  }
}

/**
 * Checks `dir` and everything below it, then removes group and other write permission from each entry.
 * @throws UnsafeAssetError naming the first entry that is a symbolic link or belongs to another user.
 */
export function secureAsset(dir: string, uid: number = process.getuid?.() ?? -1): void {
  const entries = [dir];
  for (let path = entries.pop(); path !== undefined; path = entries.pop()) {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) throw new UnsafeAssetError(path, 'is a symbolic link');
    if (uid >= 0 && stat.uid !== uid) throw new UnsafeAssetError(path, `belongs to uid ${stat.uid}, not to you (uid ${uid})`);
    if ((stat.mode & 0o022) !== 0) chmodSync(path, stat.mode & 0o7755);
    if (stat.isDirectory()) for (const name of readdirSync(path)) entries.push(join(path, name));
  }
}
