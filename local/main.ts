import { pathToFileURL } from 'node:url';
import { startConsoleForEndpoint } from '../cli/console/command.js';
import { parseArgs } from 'node:util';
import { printable } from './printable.js';
import { startLocalCloud, type LocalCloud } from './cloud.js';
import { silenceSdkNodeVersionWarning } from './sdk-warning.js';
import { UserError } from '../common/user-error.js';
import { SimulatedClock } from './clock.js';
import { SPOT_WARNING_MS } from '../common/ec2-events.js';
import { closestName } from '../infra/closest-name.js';
import { DEFAULT_PORT, DEFAULT_REGION, exportLine, localAwsEnvironment } from './contract.js';

export const USAGE = `Usage: npm start -- [options]

Deploys the spotweb stack into a local cloud (moto + a local data plane) and
serves it at http://127.0.0.1:<port>.

Options:
  --port <n>          port of the local load balancer (default ${DEFAULT_PORT};
                      0 picks a free one)
  --time-scale <x>    multiply every AWS interval by x, 0 < x <= 1 (default 1 =
                      real time; 0.05 makes the two-minute warning 6 s)
  --no-handler        do not deliver interruption events to the handler Lambda
                      (shows what it prevents)
  --no-spot-watcher   turn off the instance app's own Spot watcher
  --region <r>        region of the local cloud (default ${DEFAULT_REGION})
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

/** Options that take a value: a negative number after them is their value, not an option. */
const VALUE_OPTIONS = new Set(['--port', '--time-scale', '--region', '-c', '--context']);

/**
 * `--port -5` → `--port=-5`: node's parseArgs reads "-5" as an option and answers "argument is ambiguous";
 * joined, the value reaches the validation below, which says what is wrong with it.
 */
function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (VALUE_OPTIONS.has(arg) && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** parseArgs' errors, shortened to what the user typed wrong. */
function usageMessage(err: Error & { code?: string }): string {
  const unknown = /^Unknown option '([^']+)'/.exec(err.message);
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const near = closestName(unknown[1]!, ['--port', '--time-scale', '--no-handler', '--no-spot-watcher', '--region', '--context', '--verbose', '--help']);
    return `unknown option ${unknown[1]}${near ? ` (did you mean ${near}?)` : ''}`;
  }
  return err.message;
}

export function parseCli(argv: readonly string[]): CliOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
    args: joinNegativeValues(argv),
    options: {
      port: { type: 'string', default: String(DEFAULT_PORT) },
      'time-scale': { type: 'string', default: '1' },
      'no-handler': { type: 'boolean', default: false },
      'no-spot-watcher': { type: 'boolean', default: false },
      region: { type: 'string', default: DEFAULT_REGION },
      context: { type: 'string', short: 'c', multiple: true, default: [] },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  } catch (err) {
    throw new UsageError(usageMessage(err as Error));
  }
  const { values } = parsed;
  if (values.help) return 'help';
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number from 1 to 65535 (or 0 for a free one), got "${values.port}"`);
  const timeScale = Number(values['time-scale']);
  SimulatedClock.check(timeScale, '--time-scale', values['time-scale']);
  const context: Record<string, string> = {};
  for (const pair of values.context) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`-c expects key=value, got "${pair}"`);
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

/** A mistake in the command line: one line and a pointer to --help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** What differs from the stack as deployed on AWS, said where the user looks first (right above the URL). */
export function modeLines(clock: SimulatedClock, options: Pick<CliOptions, 'handler' | 'spotWatcher'>): string[] {
  const lines: string[] = [];
  if (clock.scale !== 1) {
    // Four significant digits at most, so a long decimal typed by the user cannot push the line past 80 columns.
    const short = (n: number): number => Number(n.toPrecision(4));
    const warningMs = clock.toReal(SPOT_WARNING_MS);
    const warning = warningMs >= 1000 ? `${short(warningMs / 1000)} s` : `${short(warningMs)} ms`;
    lines.push(`  Time scale ${short(clock.scale)}: AWS time runs ${short(clock.toAws(1))}× faster (120 s warning: ${warning}).`);
  }
  if (!options.handler) lines.push('  Handler OFF (--no-handler): no Lambda deregisters a warned instance.');
  if (!options.spotWatcher) lines.push("  Spot watcher OFF (--no-spot-watcher): /health passes after a Spot warning.");
  if (!options.handler && !options.spotWatcher) {
    lines.push('  A reclaimed instance gets requests until the ALB health checks fail:', '  the failures the handler prevents.');
  }
  return lines;
}

/**
 * What `npm start` prints once every instance serves. The lines a new user needs first (the URL, the live console,
 * how to stop) come last, right above "Ready": they are what an 80×24 terminal still shows after the fleet and the
 * AWS CLI lines have scrolled up, with the alarms' start-up line below them. Every line but the copy-paste
 * commands fits 80 columns (a cut command would not run; the terminal wraps them).
 */
export function banner(cloud: LocalCloud, options: Pick<CliOptions, 'handler' | 'spotWatcher'>, consoleUrl?: string): string {
  const instances = cloud.fleet.instances();
  const lines = [
    '',
    `  Spot Fleet ${cloud.fleetRequestId} (target capacity ${cloud.fleet.capacity})`,
    ...instances.map((i) => `    ${i.instanceId}  ${i.instanceType.padEnd(10)} ${i.availabilityZone}`),
    '  Reach the local cloud with any AWS client:',
    `    ${exportLine(localAwsEnvironment(cloud.endpoint, cloud.region, cloud.credentials))}`,
    `    aws ec2 describe-spot-fleet-instances --spot-fleet-request-id ${cloud.fleetRequestId}`,
    `    aws elbv2 describe-target-health --target-group-arn ${cloud.targetGroupArn}`,
    '  Interrupt an instance the workshop way (reduce the fleet by one):',
    `    aws ec2 modify-spot-fleet-request --spot-fleet-request-id ${cloud.fleetRequestId} --target-capacity ${Math.max(1, cloud.fleet.capacity - 1)}`,
    '',
    ...modeLines(cloud.clock, options),
    `  spotweb is up:  ${cloud.url}   (reload to see instances alternate)`,
    ...(consoleUrl ? [`  Live console:   ${consoleUrl}`, '                  (the #token lets it interrupt instances: keep it to yourself)'] : []),
    '  Ctrl-C stops everything.',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  silenceSdkNodeVersionWarning();
  let options: CliOptions | 'help';
  try {
    options = parseCli(process.argv.slice(2));
  } catch (err) {
    console.error(`npm start: ${(err as Error).message}\n(npm start -- --help lists the options)`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  // Lines carry text from outside (notifications, instance and Lambda logs): nothing reaches the terminal raw.
  const log = (line: string): void => console.log(printable(line));
  let cloud: LocalCloud | undefined;
  let liveConsole: { urlWithToken: string; close(): Promise<void> } | undefined;
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: shutting the local cloud down…`);
    await liveConsole?.close();
    await cloud?.close();
    log('Stopped: instances, load balancer, Lambda workers, moto: gone; ports freed.');
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
      // A terminal's width, read at each line (the window may be resized); piped to a file, lines stay whole.
      columns: () => (process.stdout.isTTY ? process.stdout.columns : undefined),
    });
  } catch (err) {
    console.error(`\nnpm start failed: ${err instanceof UserError ? err.message : (err as Error).stack}`);
    process.exit(1);
  }
  if (stopping) return;
  try {
    liveConsole = await startConsoleForEndpoint(cloud.endpoint, cloud.credentials);
  } catch (err) {
    log(`  The live console did not start (${(err as Error).message}); the local cloud runs without it.`);
  }
  log(banner(cloud, options, liveConsole?.urlWithToken));
  // process.uptime() counts from this Node process's start, after npm's and tsx's own start-up (about 1 s more):
  // the README quotes the time from typing npm start to the first 200 (bench/startup.ts).
  log(`  Ready ${process.uptime().toFixed(1)} s after the local cloud's process started.`);
}

// Run as `npm start`; importing this module (tests) does not start anything.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
