import { gunzipSync, gzipSync } from 'node:zlib';
import { DEFAULT_CONFIG } from './app/config.js';
import { appTimeoutsFor, DEFAULT_IDLE_TIMEOUT_SECONDS } from './app/keep-alive.js';

/** EC2 limits user data to 16 KB, counted on the raw script before the base64 encoding the API wants. */
export const USER_DATA_LIMIT_BYTES = 16_384;

/** AL2023 packages Node.js per major version as `nodejs<N>`, installed as `/usr/bin/node-<N>`. */
export type NodeMajorVersion = 22 | 24;

export interface UserDataProps {
  /** Port the app listens on: the target group's traffic and health check port. */
  readonly appPort: number;
  /** The instance app as one JavaScript file (see bundleInstanceApp). */
  readonly appBundle: string;
  /**
   * Node.js major version from AL2023's packages. The bundle targets Node 20 syntax, so both run it.
   * @default 22 (in every AL2023 release since 2024; upstream support until April 2027)
   */
  readonly nodeMajorVersion?: NodeMajorVersion;
  /**
   * The load balancer's idle timeout (`idle_timeout.timeout_seconds`, 1-4000): the app's keep-alive timeout is
   * set above it, and its headers timeout above that (app/keep-alive.ts).
   * @default 60 (ALB's default)
   */
  readonly loadBalancerIdleTimeoutSeconds?: number;
}

export const APP_USER = 'spotweb';
export const APP_DIR = '/opt/spotweb';
export const UNIT_NAME = 'spotweb.service';
const BUNDLE_MARKER = 'SPOTWEB_APP_BUNDLE_GZIP_BASE64';
// systemd's stop timeout leaves the app's own drain deadline room to finish and log first.
const STOP_TIMEOUT_SECONDS = Math.ceil(DEFAULT_CONFIG.drainTimeoutMs / 1000) + 5;
// EX_CONFIG from the app: a bad setting, which restarting would not fix.
const CONFIG_ERROR_EXIT_STATUS = 78;

/** The bash user data for Amazon Linux 2023 that installs Node.js and runs the instance app under systemd. */
export function renderUserData(props: UserDataProps): string {
  const { appPort, appBundle } = props;
  const nodeMajor = props.nodeMajorVersion ?? 22;
  if (!Number.isInteger(appPort) || appPort < 1 || appPort > 65_535) {
    throw new RangeError(`appPort must be an integer between 1 and 65535, got ${appPort}`);
  }
  if (nodeMajor !== 22 && nodeMajor !== 24) {
    throw new RangeError(`nodeMajorVersion must be 22 or 24, got ${String(nodeMajor)}`);
  }
  if (appBundle.trim() === '') throw new Error('appBundle is empty');

  return `#!/bin/bash
# spotweb instance bootstrap for Amazon Linux 2023: Node.js ${nodeMajor} runs the instance app under systemd.
set -euo pipefail

readonly APP_USER=${APP_USER}
readonly APP_DIR=${APP_DIR}
readonly UNIT_FILE=/etc/systemd/system/${UNIT_NAME}

# Boot-time repository refreshes can make dnf fail transiently; retry before giving up.
# gzip is named because minimal AL2023 images need not carry it; the bundle below is gzipped.
for attempt in 1 2 3 4 5; do
  if dnf install -y nodejs${nodeMajor} gzip; then
    break
  fi
  if [ "$attempt" -eq 5 ]; then
    echo "spotweb: dnf install nodejs${nodeMajor} failed" >&2
    exit 1
  fi
  sleep $((attempt * 5))
done

if ! id -u "$APP_USER" >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /sbin/nologin "$APP_USER"
fi

# The app is root-owned and read-only to its user: a compromised app cannot rewrite itself.
install -d -m 0755 "$APP_DIR"
base64 -d <<'${BUNDLE_MARKER}' | gzip -dc > "$APP_DIR/app.js.new"
${encodeBundle(appBundle)}
${BUNDLE_MARKER}
chmod 0644 "$APP_DIR/app.js.new"
mv -f "$APP_DIR/app.js.new" "$APP_DIR/app.js"

cat > "$UNIT_FILE" <<'UNIT'
${renderUnit(appPort, nodeMajor, props.loadBalancerIdleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS)}
UNIT

systemctl daemon-reload
systemctl enable --now ${UNIT_NAME}
`;
}

function renderUnit(appPort: number, nodeMajor: NodeMajorVersion, idleTimeoutSeconds: number): string {
  const timeouts = appTimeoutsFor(idleTimeoutSeconds);
  // Below 1024 an unprivileged user needs exactly one capability to bind; above, it needs none.
  const capabilities =
    appPort < 1024
      ? 'AmbientCapabilities=CAP_NET_BIND_SERVICE\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE'
      : 'CapabilityBoundingSet=';
  return `[Unit]
Description=spotweb instance app
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=${APP_USER}
Group=${APP_USER}
Environment=NODE_ENV=production
Environment=PORT=${appPort}
Environment=HOST=0.0.0.0
Environment=KEEP_ALIVE_TIMEOUT_MS=${timeouts.keepAliveTimeoutMs}
Environment=HEADERS_TIMEOUT_MS=${timeouts.headersTimeoutMs}
ExecStart=/usr/bin/node-${nodeMajor} ${APP_DIR}/app.js
Restart=on-failure
RestartSec=2
RestartPreventExitStatus=${CONFIG_ERROR_EXIT_STATUS}
KillSignal=SIGTERM
KillMode=mixed
TimeoutStopSec=${STOP_TIMEOUT_SECONDS}
${capabilities}
NoNewPrivileges=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectSystem=strict
ProtectHome=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
UMask=0077

[Install]
WantedBy=multi-user.target`;
}

/** gzip then base64, wrapped at 76 columns like base64(1) so the script has no enormous line. */
function encodeBundle(bundle: string): string {
  const encoded = gzipSync(Buffer.from(bundle, 'utf8'), { level: 9 }).toString('base64');
  return encoded.match(/.{1,76}/g)?.join('\n') ?? '';
}

/**
 * The app bundle embedded in user data made by renderUserData: the exact inverse of its encoding.
 * The local cloud uses it to run the very program the launch template carries.
 */
export function extractAppBundle(userData: string): string {
  const lines = userData.split('\n');
  const start = lines.findIndex((line) => line.includes(`<<'${BUNDLE_MARKER}'`));
  if (start === -1) throw new Error(`user data has no embedded app bundle (no <<'${BUNDLE_MARKER}' heredoc)`);
  const end = lines.indexOf(BUNDLE_MARKER, start + 1);
  if (end === -1) throw new Error(`user data's app bundle heredoc is not closed by a ${BUNDLE_MARKER} line`);
  const encoded = lines.slice(start + 1, end).join('');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length === 0) {
    throw new Error('user data\'s app bundle is not base64');
  }
  try {
    return gunzipSync(Buffer.from(encoded, 'base64')).toString('utf8');
  } catch (error) {
    throw new Error(`user data's app bundle does not decompress: ${(error as Error).message}`);
  }
}

/**
 * The app's environment as the systemd unit in user data made by renderUserData sets it (`Environment=` lines):
 * the local cloud starts the app with these, as systemd would.
 */
export function extractAppEnvironment(userData: string): Record<string, string> {
  const unit = /<<'UNIT'\n([\s\S]*?)\nUNIT\n/.exec(userData)?.[1];
  if (unit === undefined) throw new Error("user data has no systemd unit (no <<'UNIT' heredoc)");
  const env: Record<string, string> = {};
  for (const line of unit.split('\n')) {
    const match = /^Environment=([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}
