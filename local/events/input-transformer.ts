/**
 * EventBridge InputTransformer: fills an InputTemplate's `<name>` placeholders from JSON paths into the event
 * and returns the exact text the target receives.
 *
 * What the target receives, decided from the EventBridge user guide ("Input transform examples"):
 * - The template text is kept as written; EventBridge does not decode it. A template that is a JSON string,
 *   such as CDK's `RuleTargetInput.fromText('Spot interruption: ' + EventField.fromPath('$.detail.instance-id'))`
 *   which synthesizes `"Spot interruption: <detail-instance-id>"`, is delivered WITH its surrounding quotes:
 *   the guide's "Simple string" row shows output `"instance i-0123456789 is in RUNNING"`, and CDK users
 *   report the quotes in their SNS e-mails (aws/aws-cdk#5924, #38121). An SNS target therefore publishes
 *   `"Spot interruption: i-…"` quotes included; a Lambda target gets the JSON-decoded string, because Lambda
 *   parses its payload as JSON. (A 2026 CDK doc PR, #38162, claims EventBridge strips the quotes; that
 *   contradicts both the AWS guide and the reports above, so we follow the guide.)
 * - Inside a JSON string a value is inserted raw: strings without quotes and without escaping ("EventBridge
 *   doesn't escape values extracted by Input Path"), other values as their JSON text.
 * - Outside a string (`{"id": <id>}`) a value is inserted as JSON, so strings gain quotes.
 * - A path that leads nowhere gives an empty string inside a JSON string and `null` outside one, keeping the
 *   output valid JSON (the guide says only that such a variable "isn't created").
 * - A template that is not JSON at all is plain text, and every value is inserted raw: the EventBridge API
 *   reference (`InputTransformer`, InputTemplate) gives `"InputTemplate": "<instance> is in state <status>"` as
 *   the basic syntax, and `<instance> is in state "<status>"` (quotes escaped in the request's JSON) for a text
 *   with quote marks in it; both are delivered as that text with the values filled in, quotes only where the
 *   template writes them. infra/plain-text-input.ts builds the rule's e-mail this way.
 * Predefined variables: aws.events.rule-arn, aws.events.rule-name, aws.events.event.ingestion-time,
 * aws.events.event (the event without `detail`) and aws.events.event.json (the whole event).
 */
import { evaluateJsonPath, parseJsonPath } from './json-path.js';

export interface InputTransformer {
  readonly InputPathsMap?: Readonly<Record<string, string>>;
  readonly InputTemplate: string;
}

/** Facts about the delivery that only the predefined variables need. */
export interface TransformContext {
  readonly ruleArn?: string;
  readonly ruleName?: string;
  /** ISO 8601; defaults to the time of the call. */
  readonly ingestionTime?: string;
}

export class InputTransformerError extends Error {
  constructor(message: string) {
    super(`InputTransformer: ${message}`);
    this.name = 'InputTransformerError';
  }
}

const PLACEHOLDER = /<([A-Za-z0-9_.\-]+)>/y;
const MISSING = Symbol('missing');
type Value = unknown | typeof MISSING;
type Substitute = (name: string, inString: boolean) => string;

export function applyInputTransformer(transformer: InputTransformer, event: unknown, context: TransformContext = {}): string {
  const { InputTemplate: template } = transformer;
  if (typeof template !== 'string' || template.length === 0) throw new InputTransformerError('InputTemplate must be a non-empty string');
  const values = resolveVariables(transformer.InputPathsMap ?? {}, event, context);
  const lookup = (name: string): Value => {
    if (!values.has(name)) throw new InputTransformerError(`placeholder <${name}> is neither in InputPathsMap nor predefined`);
    const value = values.get(name)!();
    if (value === undefined) return MISSING;
    return value;
  };

  const probe = fill(template, (name, inString) => {
    lookup(name);
    return inString ? '' : 'null';
  });
  const isJson = parsesAsJson(probe);
  return fill(template, (name, inString) => {
    const value = lookup(name);
    if (value === MISSING) return inString || !isJson ? '' : 'null';
    if (typeof value === 'string' && (inString || !isJson)) return value;
    return JSON.stringify(value);
  });
}

function resolveVariables(pathsMap: Readonly<Record<string, string>>, event: unknown, context: TransformContext): Map<string, () => unknown> {
  const values = new Map<string, () => unknown>();
  for (const [name, path] of Object.entries(pathsMap)) {
    if (!/^[A-Za-z0-9_.\-]+$/.test(name)) throw new InputTransformerError(`InputPathsMap key ${JSON.stringify(name)} has characters a placeholder cannot`);
    if (name.toLowerCase().startsWith('aws.')) throw new InputTransformerError(`InputPathsMap key ${JSON.stringify(name)} must not start with "aws."`);
    if (typeof path !== 'string') throw new InputTransformerError(`InputPathsMap[${JSON.stringify(name)}] must be a JSON path string`);
    parseJsonPath(path);
    values.set(name, () => evaluateJsonPath(path, event));
  }
  values.set('aws.events.rule-arn', () => required(context.ruleArn, 'ruleArn', 'aws.events.rule-arn'));
  values.set('aws.events.rule-name', () => required(context.ruleName, 'ruleName', 'aws.events.rule-name'));
  values.set('aws.events.event.ingestion-time', () => context.ingestionTime ?? new Date().toISOString());
  values.set('aws.events.event', () => withoutDetail(event));
  values.set('aws.events.event.json', () => event);
  return values;
}

function required(value: string | undefined, field: string, variable: string): string {
  if (value === undefined) throw new InputTransformerError(`<${variable}> needs context.${field}`);
  return value;
}

function withoutDetail(event: unknown): unknown {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return event;
  const { detail: _detail, ...rest } = event as Record<string, unknown>;
  return rest;
}

/** Copies the template, replacing placeholders; knows whether each one sits inside a JSON string literal. */
function fill(template: string, substitute: Substitute): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; ) {
    const ch = template[i]!;
    if (inString && ch === '\\') {
      out += template.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (ch === '"') inString = !inString;
    if (ch === '<') {
      PLACEHOLDER.lastIndex = i;
      const match = PLACEHOLDER.exec(template);
      if (match) {
        out += substitute(match[1]!, inString);
        i += match[0].length;
        continue;
      }
    }
    out += ch;
    i++;
  }
  return out;
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
