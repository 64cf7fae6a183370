import { randomUUID } from 'node:crypto';
import { DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import { LOCAL_ACCOUNT_ID, type LocalCredentials } from '../contract.js';
import { createClients, destroyClients, type AwsClients } from './clients.js';
import { evaluateConditions, resolveValue, type PseudoParameters, type ResolveContext } from './intrinsics.js';
import { dependencyGraph, deploymentWaves, type TemplateResource } from './order.js';
import { resolveParameters, unevaluatedRules, type NotApplicable, type TemplateParameter } from './parameters.js';
import { physicalName } from './physical-name.js';
import { notEmulatedReason, PROVISIONERS } from './provisioners/index.js';
import type { DeployedResource, ProvisionContext } from './provisioners/types.js';

export type { DeployedResource } from './provisioners/types.js';

export interface ProgressEvent {
  readonly logicalId: string;
  readonly type: string;
  readonly status: 'creating' | 'created' | 'skipped';
  readonly reason?: string;
}

interface DeployOptionsBase {
  /** The synthesized CloudFormation template (parsed JSON). */
  readonly template: object;
  /** The cloud assembly directory the template came from (Lambda assets are read from there). */
  readonly assemblyDir: string;
  readonly stackName: string;
  readonly region: string;
  /** Values for template parameters (by parameter name); defaults apply otherwise. */
  readonly parameters?: Readonly<Record<string, string>>;
  readonly onProgress?: (event: ProgressEvent) => void;
}

/**
 * Where to deploy: the caller's clients (the local cloud's wiring, which keeps them), or an endpoint for which the
 * deployer creates its own clients and closes them when done.
 */
export type DeployOptions = DeployOptionsBase & (
  | { /** Clients for the local endpoint, in `region`; left open. */ readonly clients: AwsClients }
  | {
      /** The emulator's URL, e.g. http://127.0.0.1:5000 */
      readonly endpoint: string;
      /** The deployer's access key. @default LOCAL_CREDENTIALS (for a moto that does not enforce IAM) */
      readonly credentials?: LocalCredentials;
    }
);

export interface Skipped {
  readonly logicalId: string;
  readonly type: string;
  readonly reason: string;
}

export interface Note {
  readonly logicalId: string;
  readonly type: string;
  readonly message: string;
}

export interface DeployedStack {
  /** What CloudFormation would say of the stack itself (DescribeStacks). */
  readonly stack: StackIdentity;
  readonly resources: Record<string, DeployedResource>;
  readonly outputs: Record<string, string>;
  /** The template's Description of each output that has one. */
  readonly outputDescriptions: Record<string, string>;
  /** Resources not created locally, and why. */
  readonly skipped: Skipped[];
  /** Created, but not exactly as AWS would (e.g. a managed policy moto does not know). */
  readonly notes: Note[];
  /** Parameters and rules that have no meaning locally (CDK's bootstrap version and its check). */
  readonly notApplicable: NotApplicable[];
}

export interface StackIdentity {
  readonly stackName: string;
  /** `arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>`, as `AWS::StackId` resolved. */
  readonly stackId: string;
  readonly description?: string;
  readonly createdAt: Date;
  /** Parameter values as resolved (an SSM-typed parameter's value is the one read from SSM). */
  readonly parameters: Record<string, string>;
}

export class DeployError extends Error {
  constructor(
    readonly logicalId: string,
    readonly type: string,
    cause: unknown,
  ) {
    super(`Creating ${logicalId} (${type}) failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DeployError';
  }
}

interface Template {
  readonly Description?: string;
  readonly Parameters?: Record<string, TemplateParameter>;
  readonly Conditions?: Record<string, unknown>;
  readonly Rules?: Record<string, unknown>;
  readonly Resources?: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, { Value: unknown; Condition?: string; Description?: string }>;
}

function pseudoParameters(stackName: string, region: string): PseudoParameters {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return {
    region,
    accountId: LOCAL_ACCOUNT_ID,
    partition,
    urlSuffix: partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
    stackName,
    stackId: `arn:${partition}:cloudformation:${region}:${LOCAL_ACCOUNT_ID}:stack/${stackName}/${randomUUID()}`,
  };
}

async function availabilityZones(clients: AwsClients): Promise<string[]> {
  const out = await clients.ec2.send(new DescribeAvailabilityZonesCommand({}));
  return (out.AvailabilityZones ?? []).map((az) => az.ZoneName as string).sort();
}

function outputString(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * Creates every resource of a synthesized template in the local emulator through the services' own APIs
 * (not moto's CloudFormation), in dependency order, each wave concurrently. Intrinsics are resolved here.
 * Stops at the first failure; what was created stays (there is no rollback locally).
 */
export async function deployTemplate(opts: DeployOptions): Promise<DeployedStack> {
  const template = opts.template as Template;
  const resources = template.Resources ?? {};
  const ownClients = 'endpoint' in opts;
  const clients = 'endpoint' in opts ? createClients({ endpoint: opts.endpoint, region: opts.region, ...(opts.credentials && { credentials: opts.credentials }) }) : opts.clients;
  try {
    const createdAt = new Date();
    const pseudo = pseudoParameters(opts.stackName, opts.region);
    const parameters = await resolveParameters(template.Parameters, { ssm: clients.ssm, values: opts.parameters });
    const deployed: Record<string, DeployedResource> = {};
    const base = { pseudo, parameters: parameters.values, resources: deployed, availabilityZones: await availabilityZones(clients) };
    const ctx: ResolveContext = { ...base, conditions: evaluateConditions(template.Conditions, base) };
    const skipped: Skipped[] = [];
    const notes: Note[] = [];
    const graph = dependencyGraph(resources);

    const skip = (logicalId: string, type: string, reason: string) => {
      skipped.push({ logicalId, type, reason });
      opts.onProgress?.({ logicalId, type, status: 'skipped', reason });
    };

    const conditionHolds = (name: string, path: string): boolean => {
      if (!Object.hasOwn(ctx.conditions, name)) throw new Error(`${path}: unknown condition "${name}"`);
      return ctx.conditions[name] as boolean;
    };

    const create = async (logicalId: string): Promise<void> => {
      const resource = resources[logicalId] as TemplateResource;
      const { Type: type } = resource;
      const skippedDependency = [...(graph.get(logicalId) ?? [])].find((id) => skipped.some((s) => s.logicalId === id));
      const reason =
        notEmulatedReason(type) ??
        (resource.Condition !== undefined && !conditionHolds(resource.Condition, `Resources.${logicalId}.Condition`) ? `condition ${resource.Condition} is false` : undefined) ??
        (skippedDependency ? `depends on ${skippedDependency}, which was not created` : undefined);
      if (reason) return skip(logicalId, type, reason);
      const provision = PROVISIONERS[type];
      if (!provision) throw new DeployError(logicalId, type, new Error(`resource type ${type} is not supported by the local deployer`));

      opts.onProgress?.({ logicalId, type, status: 'creating' });
      const props = resolveValue(resource.Properties ?? {}, ctx, `Resources.${logicalId}.Properties`) as Record<string, unknown>;
      const provisionContext: ProvisionContext = {
        clients,
        logicalId,
        type,
        stackName: opts.stackName,
        region: opts.region,
        accountId: pseudo.accountId,
        partition: pseudo.partition,
        metadata: resource.Metadata ?? {},
        assemblyDir: opts.assemblyDir,
        deployed,
        physicalName: (maxLength, nameOpts) => physicalName(opts.stackName, logicalId, maxLength, nameOpts),
        note: (message) => notes.push({ logicalId, type, message }),
      };
      try {
        const result = await provision(props, provisionContext);
        deployed[logicalId] = { type, ...result, properties: props, metadata: resource.Metadata ?? {}, createdAt: new Date() };
      } catch (err) {
        throw new DeployError(logicalId, type, err);
      }
      opts.onProgress?.({ logicalId, type, status: 'created' });
    };

    for (const wave of deploymentWaves(resources)) {
      const results = await Promise.allSettled(wave.map(create));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
    }

    const outputs: Record<string, string> = {};
    const outputDescriptions: Record<string, string> = {};
    for (const [name, output] of Object.entries(template.Outputs ?? {})) {
      if (output.Condition !== undefined && !conditionHolds(output.Condition, `Outputs.${name}.Condition`)) continue;
      outputs[name] = outputString(resolveValue(output.Value, ctx, `Outputs.${name}.Value`));
      if (output.Description !== undefined) outputDescriptions[name] = output.Description;
    }
    return {
      stack: {
        stackName: opts.stackName,
        stackId: pseudo.stackId,
        description: template.Description,
        createdAt,
        parameters: Object.fromEntries(Object.entries(parameters.values).map(([k, v]) => [k, outputString(v)])),
      },
      resources: deployed,
      outputs,
      outputDescriptions,
      skipped,
      notes,
      notApplicable: [...parameters.notApplicable, ...unevaluatedRules(template.Rules)],
    };
  } finally {
    if (ownClients) destroyClients(clients);
  }
}
