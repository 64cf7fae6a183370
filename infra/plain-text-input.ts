import * as events from 'aws-cdk-lib/aws-events';

/**
 * A rule target input that EventBridge delivers as plain text, e.g. for an SNS topic whose subscribers read e-mail.
 *
 * CDK's `RuleTargetInput.fromText` renders the text as a JSON string (`"Spot … <detail-instance-id> …"`), and
 * EventBridge delivers a quoted template with its quotes, so e-mails arrive wrapped in `"…"` (aws/aws-cdk#5924).
 * The EventBridge API reference (`InputTransformer`, InputTemplate) shows the unquoted form
 * `"InputTemplate": "<instance> is in state <status>"`, delivered as the text itself with the values filled in.
 * This input writes that form directly, no escape hatch needed: `bind` returns the InputTransformer CDK puts
 * into the target.
 *
 * Placeholders are written `<name>` and each name is mapped to a JSON path of the event; `aws.events.*`
 * predefined variables need no path. The rendered text must not be valid JSON (it would then be read as a JSON
 * template), which a sentence never is.
 */
export class PlainTextInput extends events.RuleTargetInput {
  /**
   * @param template text with `<name>` placeholders
   * @param paths placeholder name → JSON path into the event (`$.detail.instance-id`)
   * @throws Error naming a placeholder without a path, or a path never used
   */
  static fromTemplate(template: string, paths: Readonly<Record<string, string>>): PlainTextInput {
    const used = new Set([...template.matchAll(/<([A-Za-z0-9_.-]+)>/g)].map((m) => m[1]!));
    for (const name of used) {
      if (!(name in paths) && !name.startsWith('aws.events.')) {
        throw new Error(`PlainTextInput: placeholder <${name}> has no JSON path in paths`);
      }
    }
    for (const name of Object.keys(paths)) {
      if (!used.has(name)) throw new Error(`PlainTextInput: paths.${name} is not used in the template`);
    }
    try {
      JSON.parse(template);
      throw new Error('PlainTextInput: the template is valid JSON; use RuleTargetInput.fromObject or fromText for JSON');
    } catch (error) {
      if (error instanceof SyntaxError) return new PlainTextInput(template, paths);
      throw error;
    }
  }

  private constructor(
    private readonly template: string,
    private readonly paths: Readonly<Record<string, string>>,
  ) {
    super();
  }

  bind(_rule: events.IRule): events.RuleTargetInputProperties {
    return { inputTemplate: this.template, inputPathsMap: { ...this.paths } };
  }
}
