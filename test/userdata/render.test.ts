// The user data script: shell-valid, under EC2's size limit, and carrying the very app that the tests run.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImdsEmulator } from '../../local/imds/emulator.js';
import { bundleInstanceApp } from '../../userdata/bundle.js';
import { APP_DIR, extractAppBundle, extractAppEnvironment, renderUserData, USER_DATA_LIMIT_BYTES } from '../../userdata/render.js';
import { startApp } from './support/app-process.js';
import { request } from './support/http.js';

const APP_PORT = 8000;
let bundle: string;
let userData: string;
const scratch = mkdtempSync(join(tmpdir(), 'spotweb-userdata-'));

beforeAll(() => {
  bundle = bundleInstanceApp();
  userData = renderUserData({ appPort: APP_PORT, appBundle: bundle });
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

function scriptFile(text: string): string {
  const file = join(scratch, `user-data-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(file, text);
  return file;
}

/** The systemd unit the script writes, taken from its heredoc. */
function unitOf(script: string): string {
  const match = /<<'UNIT'\n([\s\S]*?)\nUNIT\n/.exec(script);
  if (match?.[1] === undefined) throw new Error('no unit heredoc in the user data');
  return match[1];
}

describe('renderUserData', () => {
  it('is valid bash', () => {
    const result = spawnSync('bash', ['-n', scriptFile(userData)], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('is shellcheck clean', () => {
    if (!onPath('shellcheck')) {
      throw new Error('shellcheck is not on PATH: install it (Debian: apt-get install -y shellcheck); .ci/run does');
    }
    const result = spawnSync('shellcheck', ['--shell=bash', '--severity=style', scriptFile(userData)], { encoding: 'utf8' });
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it('stays under the EC2 user data limit, which counts the raw script before base64', () => {
    const raw = Buffer.byteLength(userData, 'utf8');
    const base64 = Buffer.from(userData, 'utf8').toString('base64').length;
    console.log(`user data: ${raw} bytes raw, ${base64} bytes base64, limit ${USER_DATA_LIMIT_BYTES} raw`);

    expect(USER_DATA_LIMIT_BYTES).toBe(16 * 1024);
    expect(raw).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
    // The API takes the base64 form; its length is ceil(n/3)*4 of the raw size.
    expect(base64).toBe(Math.ceil(raw / 3) * 4);
    expect(base64).toBeLessThanOrEqual(Math.ceil(USER_DATA_LIMIT_BYTES / 3) * 4);
  });

  it('installs Node.js from AL2023 packages and runs it under a hardened systemd unit for the app port', () => {
    expect(userData.startsWith('#!/bin/bash\n')).toBe(true);
    expect(userData).toContain('set -euo pipefail');
    expect(userData).toContain('dnf install -y nodejs22 gzip');
    const unit = unitOf(userData);
    for (const line of [
      'User=spotweb',
      'Restart=on-failure',
      `Environment=PORT=${APP_PORT}`,
      'KillSignal=SIGTERM',
      'TimeoutStopSec=30',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      `ExecStart=/usr/bin/node-22 ${APP_DIR}/app.js`,
    ]) {
      expect(unit.split('\n')).toContain(line);
    }
    expect(unit).not.toContain('AmbientCapabilities');
  });

  it('grants only CAP_NET_BIND_SERVICE, and only when the port needs it', () => {
    const unit = unitOf(renderUserData({ appPort: 80, appBundle: bundle }));
    expect(unit).toContain('Environment=PORT=80');
    expect(unit).toContain('AmbientCapabilities=CAP_NET_BIND_SERVICE');
    expect(unit).toContain('CapabilityBoundingSet=CAP_NET_BIND_SERVICE');
  });

  it('writes a unit systemd accepts without warnings', () => {
    if (!onPath('systemd-analyze')) {
      throw new Error('systemd-analyze is not on PATH (Debian package: systemd)');
    }
    // verify insists the ExecStart binary exists; node-22 is an AL2023 path, so point it at this node.
    const unit = unitOf(userData).replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath}`);
    const file = join(scratch, 'spotweb.service');
    writeFileSync(file, unit);
    const result = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('can use Node.js 24 instead', () => {
    const script = renderUserData({ appPort: APP_PORT, appBundle: bundle, nodeMajorVersion: 24 });
    expect(script).toContain('dnf install -y nodejs24 gzip');
    expect(unitOf(script)).toContain('ExecStart=/usr/bin/node-24 ');
  });

  it('rejects a port outside 1-65535, an empty bundle and an unsupported Node.js version', () => {
    for (const appPort of [0, 65_536, 80.5, Number.NaN]) {
      expect(() => renderUserData({ appPort, appBundle: bundle })).toThrow(/appPort must be an integer between 1 and 65535/);
    }
    expect(() => renderUserData({ appPort: APP_PORT, appBundle: '  ' })).toThrow(/appBundle is empty/);
    expect(() => renderUserData({ appPort: APP_PORT, appBundle: bundle, nodeMajorVersion: 18 as never })).toThrow(
      /nodeMajorVersion must be 22 or 24/,
    );
  });
});

describe('extractAppEnvironment', () => {
  it('gives the unit\'s environment, keep-alive above the load balancer\'s idle timeout (60 s by default)', () => {
    expect(extractAppEnvironment(userData)).toEqual({
      NODE_ENV: 'production',
      PORT: String(APP_PORT),
      HOST: '0.0.0.0',
      KEEP_ALIVE_TIMEOUT_MS: '65000',
      HEADERS_TIMEOUT_MS: '66000',
    });
    const longer = renderUserData({ appPort: APP_PORT, appBundle: bundle, loadBalancerIdleTimeoutSeconds: 4000 });
    expect(extractAppEnvironment(longer)).toMatchObject({ KEEP_ALIVE_TIMEOUT_MS: '4005000', HEADERS_TIMEOUT_MS: '4006000' });
  });

  it('refuses an idle timeout ELB would refuse, and user data without a unit', () => {
    for (const idle of [0, 4001, 1.5]) {
      expect(() => renderUserData({ appPort: APP_PORT, appBundle: bundle, loadBalancerIdleTimeoutSeconds: idle })).toThrow(
        /idle timeout must be a whole number of seconds between 1 and 4000/,
      );
    }
    expect(() => extractAppEnvironment('#!/bin/bash\necho hi\n')).toThrow(/no systemd unit/);
  });
});

describe('extractAppBundle', () => {
  it('gives back exactly the bundle that was embedded', () => {
    expect(userData).not.toContain(bundle.slice(0, 200)); // embedded compressed, not as text
    expect(extractAppBundle(userData)).toBe(bundle);
  });

  it('round-trips any text, including non-ASCII and heredoc-looking lines', () => {
    const tricky = 'console.log("π ≠ 3, ☃");\nUNIT\nSPOTWEB_APP_BUNDLE_GZIP_BASE64\n'.repeat(50);
    expect(extractAppBundle(renderUserData({ appPort: 9000, appBundle: tricky }))).toBe(tricky);
  });

  it('explains what is wrong with user data it cannot read', () => {
    expect(() => extractAppBundle('#!/bin/bash\necho hi\n')).toThrow(/no embedded app bundle/);
    const unterminated = userData.slice(0, userData.indexOf('\nSPOTWEB_APP_BUNDLE_GZIP_BASE64\n'));
    expect(() => extractAppBundle(unterminated)).toThrow(/not closed/);
    const corrupt = userData.replace(/^(H4sI[A-Za-z0-9+/]{20})/m, 'H4sIAAAAAAAAAAAAAAAAAAAA');
    expect(corrupt).not.toBe(userData);
    expect(() => extractAppBundle(corrupt)).toThrow(/does not decompress/);
    expect(() => extractAppBundle(userData.replace(/^H4sI/m, 'H4s!'))).toThrow(/not base64/);
  });

  it('yields a program that serves hello from the instance id of the IMDS it is pointed at', async () => {
    const imds = await startImdsEmulator({
      instanceId: 'i-0fedcba9876543210',
      availabilityZone: 'us-east-2c',
      instanceType: 'm7i.large',
      lifecycle: 'spot',
    });
    const app = await startApp(extractAppBundle(userData), { IMDS_ENDPOINT: imds.url });
    try {
      const page = await request(`${app.url}/`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('hello from i-0fedcba9876543210');
    } finally {
      await app.kill();
      await imds.close();
    }
  });
});

describe('running the script', () => {
  /**
   * Runs the user data with the system-changing commands (dnf, id, useradd, systemctl, sleep) replaced
   * by stubs that record their arguments, and its two absolute destinations moved into a scratch folder.
   * Everything else (bash, base64, gzip, install, mv) is real.
   */
  function runWithStubs(script: string, stubs: Record<string, string>) {
    const root = mkdtempSync(join(scratch, 'run-'));
    const bin = join(root, 'bin');
    const calls = join(root, 'calls.log');
    execFileSync('mkdir', ['-p', bin, join(root, 'opt'), join(root, 'etc')]);
    for (const [name, body] of Object.entries(stubs)) {
      const stub = join(bin, name);
      writeFileSync(stub, `#!/bin/bash\necho "${name} $*" >> "${calls}"\n${body}\n`);
      chmodSync(stub, 0o755);
    }
    const relocated = script
      .replace(/^readonly APP_DIR=.*$/m, `readonly APP_DIR=${root}/opt/spotweb`)
      .replace(/^readonly UNIT_FILE=.*$/m, `readonly UNIT_FILE=${root}/etc/spotweb.service`);
    expect(relocated).not.toBe(script);
    const result = spawnSync('bash', [scriptFile(relocated)], {
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    const read = (path: string): string => readFileSync(join(root, path), 'utf8');
    return { result, calls: () => read('calls.log').trim().split('\n'), read };
  }

  const installs = { dnf: 'exit 0', id: 'exit 1', useradd: 'exit 0', systemctl: 'exit 0', sleep: 'exit 0' };

  it('installs Node.js, creates the user, writes the app and unit, and starts the service', () => {
    const run = runWithStubs(userData, installs);

    expect(run.result.stderr).toBe('');
    expect(run.result.status).toBe(0);
    expect(run.read('opt/spotweb/app.js')).toBe(bundle);
    expect(run.read('etc/spotweb.service')).toBe(`${unitOf(userData)}\n`);
    expect(run.calls()).toEqual([
      'dnf install -y nodejs22 gzip',
      'id -u spotweb',
      'useradd --system --no-create-home --home-dir /nonexistent --shell /sbin/nologin spotweb',
      'systemctl daemon-reload',
      'systemctl enable --now spotweb.service',
    ]);
  });

  it('does not recreate a user that exists', () => {
    const run = runWithStubs(userData, { ...installs, id: 'exit 0' });
    expect(run.result.status).toBe(0);
    expect(run.calls().some((call) => call.startsWith('useradd'))).toBe(false);
  });

  it('retries dnf, then fails the boot script loudly rather than start without Node.js', () => {
    const run = runWithStubs(userData, { ...installs, dnf: 'exit 1' });
    expect(run.result.status).toBe(1);
    expect(run.result.stderr).toContain('dnf install nodejs22 failed');
    expect(run.calls().filter((call) => call.startsWith('dnf'))).toHaveLength(5);
    expect(run.calls().some((call) => call.startsWith('systemctl'))).toBe(false);
  });
});
