/**
 * IAM policy documents as the IAM API hands them out, and the small parts of IAM's policy grammar the local cloud
 * reads itself (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
 */

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: '*' | Readonly<Record<string, string | readonly string[]>>;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement | readonly PolicyStatement[];
}

/**
 * A document from GetRole / GetRolePolicy / GetPolicyVersion: IAM returns it URL-encoded (RFC 3986), moto as plain
 * JSON; either way, parsed. Throws on a document that is not JSON.
 */
export function parsePolicyDocument(text: string): PolicyDocument {
  const trimmed = text.trim();
  return JSON.parse(trimmed.startsWith('{') ? trimmed : decodeURIComponent(trimmed)) as PolicyDocument;
}

export function statementsOf(document: PolicyDocument): readonly PolicyStatement[] {
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement as PolicyStatement];
}

export function listOf(value: string | readonly string[] | undefined): readonly string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}

/** IAM's wildcard match, case-insensitive as action names are: `*` any run of characters, `?` one. */
export function wildcardMatches(pattern: string, value: string, caseInsensitive = true): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '').test(value);
}
