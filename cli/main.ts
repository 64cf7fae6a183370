import { Command, Option } from 'commander';
import { interruptCommand, loadCommand, rollCommand, statusCommand, type Io } from './commands.js';
import { consoleCommand } from './console/command.js';
import { CliError } from './errors.js';
import { collectInstanceIds, parseDuration, parseFisDuration, parsePort, parsePositiveInteger, parsePositiveNumber } from './parse.js';
import { DEFAULT_STACK_NAME } from './target.js';
import { printable } from '../local/printable.js';
import { silenceSdkNodeVersionWarning } from '../local/sdk-warning.js';

/** Options every command takes: which stack, where, and how to print. */
function withTargetOptions(command: Command): Command {
  return command
    .option('--local [dir]', 'the local cloud started by `npm start` in the project at or above dir (default: here), or its work directory', false)
    .option('--endpoint <url>', 'an AWS endpoint instead of AWS itself (e.g. the local cloud gateway)')
    .option('--stack-name <name>', `CloudFormation stack (default ${DEFAULT_STACK_NAME}, or the local cloud's)`)
    .option('--region <region>', 'AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or your profile)')
    .option('--json', 'machine-readable output on stdout', false);
}

export function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const program = new Command('spotweb')
    .description('Operate a spotweb stack on AWS or in the local cloud: watch the fleet, interrupt Spot instances, drive load.')
    .showHelpAfterError('(add --help for usage)')
    // Errors come back to runCli as exceptions (subcommands inherit this only when set before they are added).
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) });

  withTargetOptions(program.command('status'))
    .description("the fleet's target/fulfilled capacity and its instances with their target health")
    .option('-w, --watch', 'redraw live until Ctrl-C', false)
    .addOption(new Option('--interval <duration>', 'redraw interval with --watch (e.g. 1s)').argParser(parseDuration))
    .action(async (o) => setExitCode(await statusCommand({ ...o, intervalMs: o.interval }, io)));

  withTargetOptions(program.command('interrupt'))
    .description('interrupt Spot instances (by lowering the fleet capacity, or with --fis) and follow them until they are gone')
    .addOption(new Option('--by <n>', 'how many instances').argParser(parsePositiveInteger).default(1))
    .addOption(new Option('--instance <id>', 'which instance (repeatable, needs --fis)').argParser(collectInstanceIds))
    .option('--fis', "use AWS FIS's aws:ec2:send-spot-instance-interruptions action", false)
    .option('--role-arn <arn>', 'the IAM role FIS assumes (default: create spotweb-fis-interrupter-<stack>)')
    .addOption(new Option('--duration-before-interruption <iso>', 'FIS durationBeforeInterruption, PT2M to PT15M').argParser(parseFisDuration).default('PT2M'))
    .option('--fleet <id>', "the Spot Fleet request id you mean to touch (refused unless it is the stack's)")
    .addOption(new Option('--timeout <duration>', 'stop following after').argParser(parseDuration).default(600_000, '10m'))
    .action(async (o) =>
      setExitCode(
        await interruptCommand(
          { ...o, instances: o.instance, durationBeforeInterruption: o.durationBeforeInterruption, timeoutMs: o.timeout },
          io,
        ),
      ),
    );

  withTargetOptions(program.command('roll'))
    .description(
      "replace instances on an older launch template version one at a time (replacement healthy first, then deregister, drain, terminate); safe to re-run",
    )
    .addOption(new Option('--step-timeout <duration>', 'give up when one step makes no progress for').argParser(parseDuration).default(900_000, '15m'))
    .action(async (o) => setExitCode(await rollCommand({ ...o, stepTimeoutMs: o.stepTimeout }, io)));

  withTargetOptions(program.command('load'))
    .description("send requests to the stack's URL at a fixed rate; exit code 1 if any failed")
    .addOption(new Option('--rate <r>', 'requests per second').argParser(parsePositiveNumber).makeOptionMandatory())
    .addOption(new Option('--duration <d>', 'how long (e.g. 30s, 2m)').argParser(parseDuration).makeOptionMandatory())
    .addOption(new Option('--concurrency <c>', 'most requests in flight (default max(8, rate))').argParser(parsePositiveInteger))
    .addOption(new Option('--timeout <d>', 'per-request timeout').argParser(parseDuration).default(10_000, '10s'))
    .option('--url <url>', "target URL instead of the stack's load balancer")
    .action(async (o) => setExitCode(await loadCommand({ ...o, durationMs: o.duration, timeoutMs: o.timeout }, io)));

  withTargetOptions(program.command('console'))
    .description('a live console in the browser: the fleet, a timeline of traffic and interruptions, notifications, alarms, and buttons')
    .addOption(new Option('--port <n>', 'port on 127.0.0.1 (default: a free one)').argParser(parsePort))
    .addOption(new Option('--interval <duration>', 'how often the fleet is read (default 500ms locally, 2s on AWS)').argParser(parseDuration))
    .action(async (o) => setExitCode(await consoleCommand({ ...o, intervalMs: o.interval }, io)));

  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    const e = err as Error & { code?: string; exitCode?: number };
    // Commander has already printed the usage error (or the help asked for).
    if (e.code?.startsWith('commander.')) return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : 2;
    if (err instanceof CliError) {
      // Messages can carry text from outside (FIS's reasons, an endpoint's errors): never raw to the terminal.
      io.stderr.write(`spotweb: ${printable(err.message)}\n`);
      return err.exitCode;
    }
    io.stderr.write(`spotweb: ${printable(e.stack ?? e.message)}\n`);
    return 1;
  }
}

/** The process entry (`npm run cli`, the `spotweb` bin): argv in, exit code out, Ctrl-C aborts. */
export async function cliMain(): Promise<void> {
  silenceSdkNodeVersionWarning();
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: abort.signal });
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/cli/main.ts')) await cliMain();
