/**
 * The text a rule target receives for one event, from the target's input settings (PutTargets / CloudFormation
 * `AWS::Events::Rule` Target: Input, InputPath, InputTransformer; at most one may be set).
 * Without any of them the target gets the whole event as JSON.
 */
import { applyInputTransformer, type InputTransformer, type TransformContext } from './input-transformer.js';
import { evaluateJsonPath } from './json-path.js';

export interface TargetInputSettings {
  /** Constant JSON text, sent as is. */
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: InputTransformer;
}

export function renderTargetInput(settings: TargetInputSettings, event: unknown, context: TransformContext = {}): string {
  const given = (['Input', 'InputPath', 'InputTransformer'] as const).filter((key) => settings[key] !== undefined);
  if (given.length > 1) throw new Error(`A rule target takes at most one of Input, InputPath, InputTransformer; got ${given.join(', ')}`);
  if (settings.Input !== undefined) return settings.Input;
  if (settings.InputPath !== undefined) {
    const value = evaluateJsonPath(settings.InputPath, event);
    // A path leading nowhere still has to give the target valid JSON.
    return JSON.stringify(value === undefined ? null : value);
  }
  if (settings.InputTransformer !== undefined) return applyInputTransformer(settings.InputTransformer, event, context);
  return JSON.stringify(event);
}
