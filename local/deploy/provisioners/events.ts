import { PutRuleCommand, PutTargetsCommand, type RuleState, type Target } from '@aws-sdk/client-eventbridge';
import { asJson, tagsOf, type Provisioner } from './types.js';

type TemplateTarget = Target & { Input?: unknown; InputTransformer?: { InputPathsMap?: unknown; InputTemplate?: string } };

/** A rule target as PutTargets takes it: CloudFormation allows objects where the API wants JSON text. */
export function toApiTarget(target: TemplateTarget): Target {
  const transformer = target.InputTransformer;
  return {
    ...target,
    ...(target.Input !== undefined ? { Input: asJson(target.Input) } : {}),
    ...(transformer
      ? { InputTransformer: { InputPathsMap: transformer.InputPathsMap as Record<string, string>, InputTemplate: transformer.InputTemplate } }
      : {}),
  };
}

export const rule: Provisioner = async (props, ctx) => {
  const { events } = ctx.clients;
  const name = (props.Name as string | undefined) ?? ctx.physicalName(64);
  const eventBusName = props.EventBusName as string | undefined;
  const tags = tagsOf(props);
  const out = await events.send(
    new PutRuleCommand({
      Name: name,
      EventBusName: eventBusName,
      EventPattern: asJson(props.EventPattern),
      ScheduleExpression: props.ScheduleExpression as string | undefined,
      State: props.State as RuleState | undefined,
      Description: props.Description as string | undefined,
      RoleArn: props.RoleArn as string | undefined,
      Tags: tags.length ? tags : undefined,
    }),
  );
  const targets = ((props.Targets as TemplateTarget[] | undefined) ?? []).map(toApiTarget);
  if (targets.length > 0) {
    const put = await events.send(new PutTargetsCommand({ Rule: name, EventBusName: eventBusName, Targets: targets }));
    if (put.FailedEntryCount) throw new Error(`PutTargets failed: ${JSON.stringify(put.FailedEntries)}`);
  }
  return { physicalId: name, attributes: { Arn: out.RuleArn } };
};
