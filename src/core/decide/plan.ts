import type { FiredCondition } from '../policy/conditions.js';
import type { ParamValue } from '../policy/params.js';
import type { PolicyDocument } from '../policy/schema.js';
import type { PlannedAction } from './types.js';

/** Every catalog action proposed by a fired condition, in catalog order, each once. */
export function proposeActions(
  fired: readonly FiredCondition[],
  policy: Pick<PolicyDocument, 'actions'>,
): PlannedAction[] {
  const planned: PlannedAction[] = [];
  for (const [id, action] of Object.entries(policy.actions)) {
    const trigger = fired.find((c) => action.when.includes(c.signal));
    if (!trigger) continue;
    const params: Record<string, ParamValue> = {};
    const missing: string[] = [];
    for (const [name, spec] of Object.entries(action.params)) {
      if (spec.default === undefined) missing.push(name);
      else params[name] = spec.default as ParamValue;
    }
    planned.push({ id, risk: action.risk, signal: trigger.signal, params, missing_params: missing });
  }
  return planned;
}
