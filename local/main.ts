import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { printable } from './printable.js';
import { startLocalCloud, type LocalCloud } from './cloud.js';
import { silenceSdkNodeVersionWarning } from './sdk-warning.js';
import { UserError } from '../common/user-error.js';
import { SimulatedClock } from './clock.js';
import { localAwsEnvironment } from './contract.js';

const USAGE = `Usage: npm start -- [options]

Deploys the spotweb stack into a local cloud (moto + a local data plane) and serves it at http://127.0.0.1:<port>.

Options:
  --port <n>          port of the local load balancer (default 8080)
  --time-scale <x>    multiply every AWS interval by x, 0 < x <= 1 (default 1 = real time;
                      0.05 makes the two-minute warning 6 s)
  --no-handler        do not deliver interruption events to the handler Lambda (shows what it prevents)
  --no-spot-watcher   turn off the instance app's own Spot watcher
  --region <r>        region of the local cloud (default us-east-1)
  -c, --context k=v   CDK context value, as with cdk synth (repeatable)
  --verbose           show instance app and Lambda log lines
  -h, --help          this help`;

interface CliOptions {
  port: number;
  timeScale: number;
  handler: boolean;
  spotWatcher: boolean;
  region: string;
  context: Record<string, string>;
  verbose: boolean;
}

export function parseCli(argv: readonly string[]): CliOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string', default: '8080' },
      'time-scale': { type: 'string', default: '1' },
      'no-handler': { type: 'boolean', default: false },
      'no-spot-watcher': { type: 'boolean', default: false },
      region: { type: 'string', default: 'us-east-1' },
      context: { type: 'string', short: 'c', multiple: true, default: [] },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port must be a port number, got "${values.port}"`);
  const timeScale = Number(values['time-scale']);
  SimulatedClock.check(timeScale, '--time-scale', values['time-scale']);
  const context: Record<string, string> = {};
  for (const pair of values.context) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`-c expects key=value, got "${pair}"`);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return {
    port,
    timeScale,
    handler: !values['no-handler'],
    spotWatcher: !values['no-spot-watcher'],
    region: values.region,
    context,
    verbose: values.verbose,
  };
}

function banner(cloud: LocalCloud): string {
  const instances = cloud.fleet.instances();
  const lines = [
    '',
    `  spotweb is up:  ${cloud.url}`,
    '',
    `  Spot Fleet ${cloud.fleetRequestId} (target capacity ${cloud.fleet.capacity})`,
    ...instances.map((i) => `    ${i.instanceId}  ${i.instanceType.padEnd(10)} ${i.availabilityZone}`),
    '',
    '  Reach the local cloud with any AWS client:',
    `    export ${Object.entries(localAwsEnvironment(cloud.endpoint, cloud.region)).map(([name, value]) => `${name}=${value}`).join(' ')}`,
    `    aws ec2 describe-spot-fleet-instances --spot-fleet-request-id ${cloud.fleetRequestId}`,
    `    aws elbv2 describe-target-health --target-group-arn ${cloud.targetGroupArn}`,
    '  Interrupt an instance the workshop way (reduce the fleet by one):',
    `    aws ec2 modify-spot-fleet-request --spot-fleet-request-id ${cloud.fleetRequestId} --target-capacity ${Math.max(1, cloud.fleet.capacity - 1)}`,
    '',
    '  Ctrl-C stops everything.',
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  silenceSdkNodeVersionWarning();
  let options: CliOptions | 'help';
  try {
    options = parseCli(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  const started = Date.now();
  // Lines carry text from outside (notifications, instance and Lambda logs): nothing reaches the terminal raw.
  const log = (line: string): void => console.log(printable(line));
  let cloud: LocalCloud | undefined;
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: shutting the local cloud down…`);
    await cloud?.close();
    log('Stopped: instances, load balancer, Lambda workers and moto are gone, ports freed.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  try {
    cloud = await startLocalCloud({
      port: options.port,
      timeScale: options.timeScale,
      handler: options.handler,
      spotWatcher: options.spotWatcher,
      region: options.region,
      context: options.context,
      log,
      verboseLog: options.verbose ? log : undefined,
    });
  } catch (err) {
    console.error(`\nnpm start failed: ${err instanceof UserError ? err.message : (err as Error).stack}`);
    process.exit(1);
  }
  if (stopping) return;
  log(banner(cloud));
  log(`  Ready in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

// Run as `npm start`; importing this module (tests) does not start anything.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
