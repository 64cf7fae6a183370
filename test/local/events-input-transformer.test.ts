import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { WARNING_MESSAGE } from '../../infra/interruption-routing.js';
import { applyInputTransformer, InputTransformerError } from '../../local/events/input-transformer.js';
import { evaluateJsonPath, JsonPathError } from '../../local/events/json-path.js';
import { compileEventPattern } from '../../local/events/pattern.js';
import { renderTargetInput, type TargetInputSettings } from '../../local/events/target-input.js';
import { loadSampleEvent } from './events-fixtures.js';

const spotWarning = loadSampleEvent('spot-interruption-warning');
const instanceId = (spotWarning['detail'] as Record<string, string>)['instance-id']!;

describe('what CDK synthesizes is what the local EventBridge consumes', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Events');
  const topic = new sns.Topic(stack, 'Topic');
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {}'),
  });
  const rule = new events.Rule(stack, 'Rule', {
    eventPattern: { source: ['aws.ec2'], detailType: ['EC2 Spot Instance Interruption Warning'] },
  });
  rule.addTarget(new targets.SnsTopic(topic, {
    message: events.RuleTargetInput.fromText(`Spot interruption: ${events.EventField.fromPath('$.detail.instance-id')}`),
  }));
  rule.addTarget(new targets.LambdaFunction(fn, {
    event: events.RuleTargetInput.fromObject({
      instanceId: events.EventField.fromPath('$.detail.instance-id'),
      summary: `${events.EventField.fromPath('$.detail.instance-action')} at ${events.EventField.time}`,
      region: events.EventField.region,
    }),
  }));
  const ruleProperties = Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule'))[0]!['Properties'];
  const [snsTarget, lambdaTarget] = ruleProperties['Targets'] as Array<{ InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }>;

  it('the synthesized EventPattern selects only the interruption warning', () => {
    expect(ruleProperties['EventPattern']).toEqual({ source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] });
    const matches = compileEventPattern(ruleProperties['EventPattern']);
    expect(matches(spotWarning)).toBe(true);
    expect(matches(loadSampleEvent('rebalance-recommendation'))).toBe(false);
  });

  it('fromText synthesizes a JSON-string template', () => {
    expect(snsTarget!.InputTransformer).toEqual({
      InputPathsMap: { 'detail-instance-id': '$.detail.instance-id' },
      InputTemplate: '"Spot interruption: <detail-instance-id>"',
    });
  });

  it('gives SNS the text with the JSON quotes kept, as EventBridge delivers it', () => {
    expect(renderTargetInput(snsTarget!, spotWarning)).toBe(`"Spot interruption: ${instanceId}"`);
  });

  it("renders the stack's own warning message unquoted, as plain text naming instance, action, time and region", () => {
    const plainStack = new Stack(new App(), 'Plain');
    new events.Rule(plainStack, 'Rule', { eventPattern: { source: ['aws.ec2'] } }).addTarget(
      new targets.SnsTopic(new sns.Topic(plainStack, 'Topic'), { message: WARNING_MESSAGE }),
    );
    const rules = Template.fromStack(plainStack).findResources('AWS::Events::Rule');
    const plain = Object.values(rules)[0]!['Properties']['Targets'][0];
    expect(plain.InputTransformer.InputTemplate.startsWith('"')).toBe(false);
    const text = renderTargetInput(plain, spotWarning);
    expect(text).toBe(
      `AWS Spot interruption warning: instance ${instanceId} in ${spotWarning['region']} will be interrupted about two ` +
        `minutes after ${spotWarning['time']} (instance-action: terminate). This relays the warning AWS sends for any ` +
        'Spot instance in the account; spotweb sends a separate confirmation for each instance it takes out of its load balancer.',
    );
    expect(text).not.toMatch(/draining it|is draining/);
  });

  it('gives a Lambda target valid JSON of the fromObject shape', () => {
    expect(JSON.parse(renderTargetInput(lambdaTarget!, spotWarning))).toEqual({
      instanceId,
      summary: 'terminate at 2026-11-22T10:00:00Z',
      region: 'us-east-2',
    });
  });
});

describe('applyInputTransformer', () => {
  const ec2Event = {
    time: '2015-11-11T21:29:54Z',
    detail: { 'instance-id': 'i-0123456789', state: 'RUNNING', count: 3, tags: ['a', 'b'], nested: { k: 'v' } },
  };
  const paths = {
    instance: '$.detail.instance-id',
    state: '$.detail.state',
    count: '$.detail.count',
    tags: '$.detail.tags',
    nested: '$.detail.nested',
    missing: '$.detail.nope',
  };
  const apply = (template: string) => applyInputTransformer({ InputPathsMap: paths, InputTemplate: template }, ec2Event);

  it('reproduces the user guide examples', () => {
    expect(apply('"instance <instance> is in <state>"')).toBe('"instance i-0123456789 is in RUNNING"');
    expect(apply('"instance \\"<instance>\\" is in <state>"')).toBe('"instance \\"i-0123456789\\" is in RUNNING"');
    expect(JSON.parse(apply('{"instance" : <instance>, "state": <state>}'))).toEqual({ instance: 'i-0123456789', state: 'RUNNING' });
    expect(JSON.parse(apply('{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}')))
      .toEqual({ instance: 'i-0123456789', state: [9, 'RUNNING', true], Transformed: 'Yes' });
  });

  it('inserts non-strings as JSON, in or out of strings', () => {
    expect(JSON.parse(apply('{"n": <count>, "t": <tags>, "o": <nested>}'))).toEqual({ n: 3, t: ['a', 'b'], o: { k: 'v' } });
    expect(apply('"<count> tags: <tags>"')).toBe('"3 tags: ["a","b"]"');
  });

  it('does not escape string values inside strings, as EventBridge does not', () => {
    const out = applyInputTransformer({ InputPathsMap: { v: '$.v' }, InputTemplate: '"say <v>"' }, { v: 'a "quoted" word' });
    expect(out).toBe('"say a "quoted" word"');
  });

  it('gives null outside strings and nothing inside strings for a path that leads nowhere', () => {
    expect(JSON.parse(apply('{"m": <missing>, "s": "x<missing>y"}'))).toEqual({ m: null, s: 'xy' });
  });

  it('inserts values raw into a template that is not JSON', () => {
    expect(apply('<instance> is in state <state> (<missing>)')).toBe('i-0123456789 is in state RUNNING ()');
  });

  it("renders the API reference's unquoted templates as plain text, quotes only where written", () => {
    // EventBridge API reference, InputTransformer: "<instance> is in state <status>" and
    // "<instance> is in state \"<status>\"" (the second's quotes escaped in the request JSON).
    expect(apply('<instance> is in state <state>')).toBe('i-0123456789 is in state RUNNING');
    expect(apply('<instance> is in state "<state>"')).toBe('i-0123456789 is in state "RUNNING"');
    // The quoted form CDK's fromText writes keeps its quotes.
    expect(apply('"<instance> is in state <state>"')).toBe('"i-0123456789 is in state RUNNING"');
  });

  it('supports $ and array indices', () => {
    const out = applyInputTransformer({ InputPathsMap: { all: '$', first: '$.detail.tags[1]' }, InputTemplate: '{"e": <all>, "f": <first>}' }, ec2Event);
    expect(JSON.parse(out)).toEqual({ e: ec2Event, f: 'b' });
  });

  it('fills the predefined variables', () => {
    const out = applyInputTransformer(
      { InputTemplate: '{"arn": <aws.events.rule-arn>, "name": "<aws.events.rule-name>", "at": <aws.events.event.ingestion-time>, "e": <aws.events.event>, "j": <aws.events.event.json>}' },
      ec2Event,
      { ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/r', ruleName: 'r', ingestionTime: '2026-01-01T00:00:00Z' },
    );
    expect(JSON.parse(out)).toEqual({
      arn: 'arn:aws:events:us-east-1:123456789012:rule/r',
      name: 'r',
      at: '2026-01-01T00:00:00Z',
      e: { time: ec2Event.time },
      j: ec2Event,
    });
  });

  it('rejects bad transformers clearly', () => {
    expect(() => apply('"<undefined-name>"')).toThrow(/placeholder <undefined-name> is neither/);
    expect(() => applyInputTransformer({ InputPathsMap: { 'aws.x': '$.a' }, InputTemplate: '"x"' }, {})).toThrow(/must not start with "aws."/);
    expect(() => applyInputTransformer({ InputPathsMap: { a: 'detail.x' }, InputTemplate: '"<a>"' }, {})).toThrow(JsonPathError);
    expect(() => applyInputTransformer({ InputTemplate: '"<aws.events.rule-name>"' }, {})).toThrow(InputTransformerError);
    expect(() => applyInputTransformer({ InputTemplate: '' }, {})).toThrow(InputTransformerError);
  });
});

describe('evaluateJsonPath', () => {
  const doc = { a: { 'b-c': [{ d: 1 }, { d: 2 }, { e: 3 }] }, 'x/y': 'slash' };

  it('walks names, indices and wildcards', () => {
    expect(evaluateJsonPath('$', doc)).toBe(doc);
    expect(evaluateJsonPath('$.a.b-c[1].d', doc)).toBe(2);
    expect(evaluateJsonPath('$.a.b-c[*].d', doc)).toEqual([1, 2]);
    expect(evaluateJsonPath('$.a.*', doc)).toEqual([doc.a['b-c']]);
    expect(evaluateJsonPath('$.x/y', doc)).toBe('slash');
    expect(evaluateJsonPath('$.a.nope.deeper', doc)).toBeUndefined();
    expect(evaluateJsonPath('$.a.b-c[9]', doc)).toBeUndefined();
  });

  it('rejects syntax EventBridge does not support', () => {
    for (const bad of ['a.b', '$..a', "$['a']", '$.a[-1]']) expect(() => evaluateJsonPath(bad, doc)).toThrow(JsonPathError);
  });
});

describe('renderTargetInput', () => {
  it('sends the whole event by default, a constant Input as is, and the InputPath value as JSON', () => {
    expect(JSON.parse(renderTargetInput({}, spotWarning))).toEqual(spotWarning);
    expect(renderTargetInput({ Input: '{"fixed":true}' }, spotWarning)).toBe('{"fixed":true}');
    expect(JSON.parse(renderTargetInput({ InputPath: '$.detail' }, spotWarning))).toEqual(spotWarning['detail']);
    expect(renderTargetInput({ InputPath: '$.nope' }, spotWarning)).toBe('null');
  });

  it('refuses more than one input setting', () => {
    const both: TargetInputSettings = { Input: '1', InputPath: '$' };
    expect(() => renderTargetInput(both, spotWarning)).toThrow(/at most one/);
  });
});
