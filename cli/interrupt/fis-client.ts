import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Provider } from '@smithy/types';
import { Sha256 } from '../../common/sha256.js';

/**
 * The four AWS FIS calls the CLI makes, over FIS's REST-JSON API (https://docs.aws.amazon.com/fis/latest/APIReference/),
 * signed with the SDK's own SigV4 signer and the same credentials as the CLI's other clients.
 *
 * Why not `@aws-sdk/client-fis`: the registry these machines install from carries it only up to 3.523.0, two
 * years behind the other clients, and that release pulls a second `@smithy` tree (its own `@smithy/core` and 15
 * more) and an old `fast-xml-parser` in advisory ranges. Four calls do not justify a second SDK; every other
 * client stays on one release line, with one `@smithy/core` (`.ci/run` checks the lock file).
 */
export interface FisApi {
  createExperimentTemplate(input: Record<string, unknown>): Promise<{ experimentTemplate?: { id?: string } }>;
  startExperiment(input: { experimentTemplateId: string; clientToken: string; tags?: Record<string, string> }): Promise<{ experiment?: { id?: string } }>;
  getExperiment(id: string): Promise<{ experiment?: { state?: { status?: string; reason?: string } } }>;
  deleteExperimentTemplate(id: string): Promise<void>;
}

export interface FisClientConfig {
  /** Resolved on first call, like the SDK clients' region. */
  readonly region: Provider<string>;
  /** Same as the SDK clients' `endpoint` (the local cloud); @default FIS's regional endpoint in the region's partition */
  readonly endpoint?: string;
  readonly credentials: Provider<AwsCredentialIdentity>;
}

/** An error FIS answered with; `name` is FIS's error type (`ValidationException`, `ResourceNotFoundException`…). */
export class FisError extends Error {
  constructor(
    name: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = name;
  }
}

/** FIS's endpoint for `region`: `amazonaws.com`, or `amazonaws.com.cn` in the China regions. */
export function fisEndpoint(region: string): string {
  return `https://fis.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

export function createFisClient(config: FisClientConfig): FisApi {
  const signer = new SignatureV4({ service: 'fis', region: config.region, credentials: config.credentials, sha256: Sha256 });

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const url = new URL(path, config.endpoint ?? fisEndpoint(await config.region()));
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: {},
      headers: { host: url.host, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: payload,
    });
    const res = await fetch(url, { method, headers: signed.headers as Record<string, string>, body: payload, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!res.ok) {
      const type = (res.headers.get('x-amzn-errortype') ?? String(parsed.__type ?? `HTTP${res.status}`)).split(':')[0]!.split('#').pop()!;
      throw new FisError(type, String(parsed.message ?? parsed.Message ?? text ?? res.statusText), res.status);
    }
    return parsed as T;
  };

  return {
    createExperimentTemplate: (input) => call('POST', '/experimentTemplates', input),
    startExperiment: (input) => call('POST', '/experiments', input),
    getExperiment: (id) => call('GET', `/experiments/${encodeURIComponent(id)}`),
    deleteExperimentTemplate: async (id) => {
      await call('DELETE', `/experimentTemplates/${encodeURIComponent(id)}`);
    },
  };
}
