// The instance app: `hello from <instance-id>` on `/`, a health check that fails once a Spot
// interruption notice arrives, and a graceful drain on SIGTERM. Bundled into the EC2 user data.
import { ConfigError, parseConfig, type AppConfig } from './config.js';
import { createAppServer } from './http-server.js';
import { IdentityTracker, isComplete, type InstanceIdentity } from './identity.js';
import { createImdsClient } from './imds-client.js';
import { createEventLog, type EventLog } from './log.js';
import { SpotWatcher } from './spot-watcher.js';

// IMDS answers in milliseconds; two seconds means it is not going to answer.
const IMDS_TIMEOUT_MS = 2000;

async function main(config: AppConfig, log: EventLog): Promise<void> {
  const imds = createImdsClient({ endpoint: config.imdsEndpoint, timeoutMs: IMDS_TIMEOUT_MS });
  // Separate reporters: identity retries and Spot polls failing in turn must not defeat the de-duplication.
  const reportIdentityError = onlyWhenChanged((message: string) => log('imds-error', { source: 'identity', message }));
  const reportWatcherError = onlyWhenChanged((message: string) => log('imds-error', { source: 'spot-watcher', message }));

  let loggedIdentity: InstanceIdentity | undefined;
  const identity = new IdentityTracker({
    imds,
    // Retrying at the Spot poll cadence keeps the IMDS load the same order as the watcher's.
    retryMs: config.spotPollIntervalMs,
    onReading: ({ identity: current, problems }) => {
      if (problems.length > 0) reportIdentityError(problems.join('; '));
      if (loggedIdentity === undefined || JSON.stringify(loggedIdentity) !== JSON.stringify(current)) {
        loggedIdentity = current;
        log('identity', { ...current, complete: isComplete(current) });
      }
    },
  });

  const watcher = new SpotWatcher({
    imds,
    intervalMs: config.spotPollIntervalMs,
    onInterruption: (notice) =>
      log('spot-interruption-notice', {
        action: notice.action,
        actionTime: notice.time,
        instanceId: identity.current().instanceId,
        health: 'failing',
      }),
    onRebalance: (recommendation) =>
      // A recommendation is not a notice: the instance stays in service, the fleet may rebalance.
      log('rebalance-recommendation', { ...recommendation, instanceId: identity.current().instanceId }),
    onError: reportWatcherError,
  });

  const app = createAppServer({
    healthPath: config.healthPath,
    identity,
    inService: () => watcher.notice() === undefined,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    headersTimeoutMs: config.headersTimeoutMs,
  });
  const address = await app.listen(config.port, config.host);
  log('started', {
    host: address.address,
    port: address.port,
    imdsEndpoint: config.imdsEndpoint,
    spotPollIntervalMs: config.spotPollIntervalMs,
    spotWatcher: config.spotWatcher,
    healthPath: config.healthPath,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    headersTimeoutMs: config.headersTimeoutMs,
    pid: process.pid,
  });
  identity.start();
  if (config.spotWatcher) watcher.start();

  const shutDown = async (signal: NodeJS.Signals): Promise<void> => {
    log('draining', { signal, inFlight: app.inFlight(), drainTimeoutMs: config.drainTimeoutMs });
    watcher.stop();
    identity.stop();
    const { cutOff } = await app.drain(config.drainTimeoutMs);
    log('stopped', { signal, cutOff });
    process.exit(0);
  };
  process.once('SIGTERM', (signal) => void shutDown(signal));
  process.once('SIGINT', (signal) => void shutDown(signal));
}

/** Wraps a reporter so a message repeated poll after poll is reported once. */
function onlyWhenChanged(report: (message: string) => void): (message: string) => void {
  let last: string | undefined;
  return (message) => {
    if (message === last) return;
    last = message;
    report(message);
  };
}

const log = createEventLog((line) => process.stdout.write(`${line}\n`));
let config: AppConfig;
try {
  config = parseConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  log('fatal', { message: error.message });
  // 78 is EX_CONFIG: systemd records it, and restarting would not help.
  process.exit(78);
}
main(config, log).catch((error: unknown) => {
  log('fatal', { message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
