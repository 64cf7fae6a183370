import { CONTROL_PREFIX, type LocalStatus, STATUS_PATH } from './contract.js';
import type { Interceptor } from './gateway.js';

/**
 * `GET /_local/status` (STATUS_PATH): what a console would show for the stack, which the CLI reads when pointed at
 * the local cloud (on AWS it reads the same facts from CloudFormation, EC2 and ELB).
 */
export function controlApi(status: () => LocalStatus): Interceptor {
  return (req) => {
    if (!req.path.startsWith(CONTROL_PREFIX)) return undefined;
    if (req.method === 'GET' && req.path === STATUS_PATH) {
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(status()) };
    }
    return { status: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: `no such local cloud API: ${req.method} ${req.path}` }) };
  };
}
