import { createServer } from 'node:net';
import { UserError } from '../common/user-error.js';

/** A TCP port someone else already listens on; `hint` tells the user what to do about it. */
export class PortInUseError extends UserError {
  readonly code = 'PORT_IN_USE';

  constructor(
    readonly port: number,
    readonly host: string,
    hint: string,
  ) {
    super(`port ${port} on ${host} is in use: ${hint}`);
    this.name = 'PortInUseError';
  }
}

/** The local load balancer's port is taken: the one message `npm start` gives, whether found before or at start. */
export function loadBalancerPortInUse(port: number, host: string): PortInUseError {
  return new PortInUseError(port, host, 'pass `npm start -- --port <free port>`, or stop the program using it');
}

export function isAddressInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/**
 * Binds `port` on `host` and releases it again: resolves to the bound port (useful with 0 = "any free
 * port"), rejects with the bind error. A free answer can go stale before the caller binds; callers that
 * pass the port to another process retry on PortInUseError.
 */
export function probePort(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

export function assertValidPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`${what} must be an integer from 0 to 65535, got ${port}`);
  }
}
