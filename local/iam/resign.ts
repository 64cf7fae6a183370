import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { Sha256 } from '../../common/sha256.js';
import type { GatewayRequest } from '../gateway.js';

/** The parts of a SigV4 `Authorization` header the signature is recomputed from. */
export interface SigV4Scope {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
}

export function sigV4Scope(authorization: string | undefined): SigV4Scope | undefined {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+),/.exec(authorization ?? '');
  return m ? { accessKeyId: m[1]!, region: m[2]!, service: m[3]!, signedHeaders: m[4]!.split(';') } : undefined;
}

/** The SigV4 headers of `req` signed with `credentials` at the time in its `x-amz-date` (undefined without one). */
async function signedHeaders(req: GatewayRequest, scope: SigV4Scope, credentials: AwsCredentialIdentity): Promise<Record<string, string> | undefined> {
  const date = String(req.headers['x-amz-date'] ?? '');
  if (!/^\d{8}T\d{6}Z$/.test(date)) return undefined;
  const headers: Record<string, string> = {};
  for (const name of scope.signedHeaders) {
    const value = req.headers[name];
    // The signer sets these itself (the payload hash from the body it is given, so a rewritten body gets its own).
    if (typeof value === 'string' && name !== 'x-amz-date' && name !== 'x-amz-security-token' && name !== 'x-amz-content-sha256') headers[name] = value;
  }
  if ('content-length' in headers) headers['content-length'] = String(req.body.length);
  const [path, query = ''] = req.path.split('?');
  // The payload hash header is signed only if the caller signed it: the SDK for JavaScript does, botocore (the AWS
  // CLI) does not for these services, and a signature recomputed with it would never match the CLI's.
  const applyChecksum = scope.signedHeaders.includes('x-amz-content-sha256');
  const signer = new SignatureV4({ service: scope.service, region: scope.region, credentials, sha256: Sha256, applyChecksum });
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: 'http:',
      hostname: String(req.headers.host ?? '').split(':')[0] ?? '',
      path: path ?? '/',
      query: Object.fromEntries(new URLSearchParams(query)),
      headers,
      body: req.body,
    },
    { signingDate: new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 11)}:${date.slice(11, 13)}:${date.slice(13)}`) },
  );
  return signed.headers;
}

/**
 * Signs a request an interceptor rewrote (local/spot/fleet-calls.ts sends moto `noTermination`) again, as the
 * caller who signed the original: moto enforcing IAM checks the signature against the body it receives, so the
 * original signature no longer fits. Only a request whose original signature is valid for a key the local cloud
 * issued (`secretOf` knows it) is re-signed: anything else (a forged request carrying a known key id, say) goes on
 * as rewritten, and moto answers it as a bad signature.
 */
export async function resignAsCaller(
  original: GatewayRequest,
  rewritten: GatewayRequest,
  secretOf: (accessKeyId: string) => AwsCredentialIdentity | undefined,
): Promise<GatewayRequest> {
  const authorization = String(original.headers.authorization ?? '');
  const scope = sigV4Scope(authorization);
  const credentials = scope && secretOf(scope.accessKeyId);
  if (!scope || !credentials) return rewritten;
  const check = await signedHeaders(original, scope, credentials);
  if (check?.authorization !== authorization) return rewritten;
  const signed = await signedHeaders(rewritten, scope, credentials);
  return signed ? { ...rewritten, headers: { ...rewritten.headers, ...signed } } : rewritten;
}
