import { Agent } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The pool of the load balancer's connections to its targets, kept as an ALB keeps them: a connection is reused
 * until it has been idle for the load balancer's idle timeout, then the load balancer closes it.
 *
 * Node's own Agent plays neither: without a `timeout` it keeps idle connections forever, and with one it reads the
 * target's `Keep-Alive: timeout=N` hint and drops the connection a second before the target would close it, which
 * hides a target that closes idle connections too early (measured on Node 20). ALB honours no such hint; it keeps the connection for its own idle timeout, and "if the application
 * closes the TCP connection ... the load balancer might send a request to the application before it receives the
 * packet indicating that the connection is closed. If this is the case, then the load balancer sends an HTTP 502"
 * (ELB user guide, Application Load Balancers, "Edit attributes", Connection idle timeout:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout).
 */
export class BackendAgent extends Agent {
  /** @param idleTimeoutMs the load balancer's idle timeout (`idle_timeout.timeout_seconds`, scaled) */
  constructor(private readonly idleTimeoutMs: number) {
    super({ keepAlive: true });
  }

  /** Called by Node when a response is over and the socket goes back to the pool. */
  override keepSocketAlive(socket: Socket): boolean {
    socket.setKeepAlive(true, 1000);
    socket.unref();
    // A free socket that times out is destroyed by the Agent: the idle timeout ends the connection from our side.
    socket.setTimeout(this.idleTimeoutMs);
    return true;
  }
}
