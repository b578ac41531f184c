import { formatIssues, type Result } from '../snapshot/validate.js';
import { paramsSchema, type ParamValue } from './params.js';
import type { PolicyDocument } from './schema.js';
import { renderArgv } from './template.js';

export interface ActionCommand {
  readonly action: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** One argv per step, for execFile: argv[0] is the program. */
  readonly steps: readonly (readonly string[])[];
  readonly timeoutMs: number;
}

/**
 * The exact commands an action would run with these parameters (policy
 * defaults filled in). Every value is checked against its declared type
 * first; an unknown, missing or malformed parameter is an error, so nothing
 * unvalidated can reach an argv.
 */
export function buildCommand(
  policy: Pick<PolicyDocument, 'actions'>,
  actionId: string,
  given: Readonly<Record<string, unknown>>,
): Result<ActionCommand> {
  const action = Object.hasOwn(policy.actions, actionId) ? policy.actions[actionId] : undefined;
  if (!action) return { ok: false, error: `unknown action "${actionId}"` };
  const merged: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(action.params)) if (spec.default !== undefined) merged[name] = spec.default;
  Object.assign(merged, given);
  const missing = Object.keys(action.params).filter((name) => merged[name] === undefined);
  if (missing.length > 0) return { ok: false, error: `${actionId}: missing parameter ${missing.join(', ')}` };
  const parsed = paramsSchema(action.params).safeParse(merged);
  if (!parsed.success) return { ok: false, error: `${actionId}: ${formatIssues(parsed.error)}` };
  const params = parsed.data;
  return {
    ok: true,
    value: {
      action: actionId,
      params,
      steps: action.steps.map((step) => renderArgv(step, params)),
      timeoutMs: action.timeout,
    },
  };
}
