import type { AwsClients } from '../clients.js';

export type Props = Readonly<Record<string, unknown>>;

export interface ProvisionResult {
  /** What `Ref` returns for the resource. */
  readonly physicalId: string;
  /** What `Fn::GetAtt` returns, by attribute name. */
  readonly attributes: Record<string, unknown>;
}

export interface DeployedResource extends ProvisionResult {
  readonly type: string;
  /** The template's Properties with every intrinsic resolved to moto's physical ids. */
  readonly properties: Readonly<Record<string, any>>;
  /** The template's Metadata (CDK's asset paths). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** When its creation finished (CloudFormation's resource Timestamp). */
  readonly createdAt?: Date;
}

export interface ProvisionContext {
  readonly clients: AwsClients;
  readonly logicalId: string;
  readonly type: string;
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  /** The resource's template Metadata (CDK puts asset paths there). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The cloud assembly directory (cdk.out) the template came from. */
  readonly assemblyDir: string;
  /** Resources created so far, by logical id. */
  readonly deployed: Readonly<Record<string, DeployedResource>>;
  /** A CloudFormation-style generated name (`<stack>-<logicalId>-<suffix>`) no longer than `maxLength`. */
  physicalName(maxLength: number, opts?: { alphanumericAndHyphens?: boolean }): string;
  /** Records something the local cloud could not do exactly as AWS would (reported, not fatal). */
  note(message: string): void;
}

export type Provisioner = (props: Props, ctx: ProvisionContext) => Promise<ProvisionResult>;

export class ProvisionError extends Error {
  constructor(ctx: Pick<ProvisionContext, 'logicalId' | 'type'>, message: string) {
    super(`Resources.${ctx.logicalId} (${ctx.type}): ${message}`);
    this.name = 'ProvisionError';
  }
}

/** A required property; missing or mistyped -> an error naming the resource and property. */
export function required<T = string>(props: Props, key: string, ctx: ProvisionContext, type = 'string'): T {
  const value = props[key];
  if (value === undefined || (type !== 'any' && typeof value !== type && !(type === 'array' && Array.isArray(value)))) {
    throw new ProvisionError(ctx, `property ${key} must be a ${type}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

export interface Tag {
  Key: string;
  Value: string;
}

export function tagsOf(props: Props): Tag[] {
  return (props.Tags as Tag[] | undefined) ?? [];
}

/** Tags as the `{ key: value }` map some APIs (Lambda, SQS, Events) take. */
export function tagMap(props: Props): Record<string, string> {
  return Object.fromEntries(tagsOf(props).map((t) => [t.Key, t.Value]));
}

/** The stringified form APIs want for policy documents and event patterns that templates hold as objects. */
export function asJson(value: unknown): string | undefined {
  return value === undefined ? undefined : typeof value === 'string' ? value : JSON.stringify(value);
}

/** Numeric properties come through as numbers or strings; APIs want numbers. */
export function asNumber(value: unknown): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/**
 * Properties that an API takes as string attributes under the same names (SQS queue attributes, SNS
 * subscription attributes): numbers and booleans stringified, objects (policies) as JSON.
 */
export function stringAttributes(props: Props, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = props[key];
    if (value !== undefined) out[key] = typeof value === 'object' ? (asJson(value) as string) : String(value);
  }
  return out;
}

/** For resources that only attach something (policies, permissions): a Ref value naming the stack and resource. */
export function attachmentResult(ctx: Pick<ProvisionContext, 'stackName' | 'logicalId'>): ProvisionResult {
  const id = `${ctx.stackName}-${ctx.logicalId}`;
  return { physicalId: id, attributes: { Id: id } };
}
