import type { CommonOptions, Io } from '../commands.js';
import { resolveTarget } from '../target.js';
import type { LocalCredentials } from '../../local/contract.js';
import { startConsole } from './server.js';

/** What `spotweb console` prints: where to open the page, and what the token is for. */
export function consoleBanner(stackName: string, where: 'aws' | 'local', urlWithToken: string): string {
  // The stack name comes from the command line or the local cloud's status: no escape sequences on the terminal.
  const name = stackName.replace(/\p{Cc}/gu, '?');
  return [
    `spotweb console for ${name} (${where === 'local' ? 'local cloud' : 'AWS'}):`,
    `  ${urlWithToken}`,
    'The #token part lets the page interrupt instances and drive load: keep it to',
    'yourself. Ctrl-C stops the console.',
  ].join('\n');
}

/**
 * `console`: serves the live console on 127.0.0.1 until Ctrl-C, reading what `status` reads with the same
 * target options. Resolves to the exit code.
 */
export async function consoleCommand(options: CommonOptions & { port?: number; intervalMs?: number }, io: Io): Promise<number> {
  const target = await resolveTarget(options);
  try {
    const server = await startConsole({ target, port: options.port, intervalMs: options.intervalMs });
    const banner = options.json ? JSON.stringify({ url: server.url, token: server.token, urlWithToken: server.urlWithToken }) : consoleBanner(target.facts.stackName, target.kind, server.urlWithToken);
    io.stdout.write(`${banner}\n`);
    if (!io.signal?.aborted) await new Promise((resolve) => io.signal?.addEventListener('abort', resolve, { once: true }));
    await server.close();
    return 0;
  } finally {
    target.close();
  }
}

/**
 * The console for a local cloud started in this process (`npm start`): the same server, reading through the
 * local endpoint as `console --endpoint` would. Stop it before the local cloud.
 */
export async function startConsoleForEndpoint(
  endpoint: string,
  credentials?: LocalCredentials,
): Promise<{ readonly urlWithToken: string; close(): Promise<void> }> {
  const target = await resolveTarget({ endpoint, ...(credentials && { credentials }) });
  try {
    const server = await startConsole({ target });
    return {
      urlWithToken: server.urlWithToken,
      async close() {
        await server.close();
        target.close();
      },
    };
  } catch (err) {
    target.close();
    throw err;
  }
}
