import { GetParameterCommand, ParameterNotFound, type SSMClient } from '@aws-sdk/client-ssm';

export interface TemplateParameter {
  readonly Type: string;
  readonly Default?: unknown;
  readonly Description?: string;
}

export interface NotApplicable {
  readonly name: string;
  readonly reason: string;
}

export interface ResolvedParameters {
  readonly values: Record<string, unknown>;
  /** Parameters deliberately left unresolved here (CDK's bootstrap version). */
  readonly notApplicable: NotApplicable[];
}

export class ParameterError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`Parameters.${parameter}: ${message}`);
    this.name = 'ParameterError';
  }
}

const SSM_TYPE = /^AWS::SSM::Parameter::Value<(.+)>$/;
// `cdk bootstrap` creates this parameter in a real account; a local emulator never has it.
const CDK_BOOTSTRAP_PARAMETER = /^\/cdk-bootstrap\//;

export function isCdkBootstrapVersion(parameter: TemplateParameter): boolean {
  return SSM_TYPE.test(parameter.Type) && typeof parameter.Default === 'string' && CDK_BOOTSTRAP_PARAMETER.test(parameter.Default);
}

/** A plain parameter value in the shape `Ref` returns: lists for List<…>/CommaDelimitedList, else the string. */
function typedValue(type: string, value: string): unknown {
  return type.startsWith('List<') || type === 'CommaDelimitedList' ? value.split(',').map((s) => s.trim()) : value;
}

async function ssmValue(ssm: SSMClient, name: string, ssmName: string): Promise<string> {
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: ssmName }));
    const value = out.Parameter?.Value;
    if (value === undefined) throw new ParameterError(name, `SSM parameter "${ssmName}" has no value`);
    return value;
  } catch (err) {
    if (err instanceof ParameterNotFound) {
      throw new ParameterError(name, `SSM parameter "${ssmName}" does not exist in the local cloud`);
    }
    throw err;
  }
}

/**
 * Resolves the template's Parameters: explicit values first, then defaults; `AWS::SSM::Parameter::Value<…>`
 * types are looked up in SSM (moto preloads the public Amazon Linux AMI parameters).
 */
export async function resolveParameters(
  section: Readonly<Record<string, TemplateParameter>> | undefined,
  opts: { ssm: SSMClient; values?: Readonly<Record<string, string>> },
): Promise<ResolvedParameters> {
  const values: Record<string, unknown> = {};
  const notApplicable: NotApplicable[] = [];
  for (const [name, parameter] of Object.entries(section ?? {})) {
    if (isCdkBootstrapVersion(parameter)) {
      notApplicable.push({ name, reason: `CDK bootstrap version (${String(parameter.Default)}): no bootstrap stack locally` });
      continue;
    }
    const given = opts.values?.[name] ?? parameter.Default;
    if (given === undefined) throw new ParameterError(name, 'has no default and no value was given');
    const raw = Array.isArray(given) ? given.join(',') : String(given);
    const ssmType = SSM_TYPE.exec(parameter.Type);
    values[name] = ssmType ? typedValue(ssmType[1] as string, await ssmValue(opts.ssm, name, raw)) : typedValue(parameter.Type, raw);
  }
  return { values, notApplicable };
}

/**
 * Template Rules are assertions CloudFormation checks before deploying. The only one CDK emits checks the
 * bootstrap version, which has no meaning locally; none is evaluated here, each is reported.
 */
export function unevaluatedRules(rules: Readonly<Record<string, unknown>> | undefined): NotApplicable[] {
  return Object.keys(rules ?? {}).map((name) => ({
    name,
    reason:
      name === 'CheckBootstrapVersion'
        ? 'CDK bootstrap version check: no bootstrap stack locally'
        : 'template rules are not evaluated by the local deployer',
  }));
}
