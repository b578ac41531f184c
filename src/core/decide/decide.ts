import { severityOf, type DecisionClass } from '../classes.js';
import type { Prediction, SeverityClassifier } from '../model/classifier.js';
import { describeCondition, firedConditions, ruleClass } from '../policy/conditions.js';
import type { Policy } from '../policy/policy.js';
import type { Snapshot } from '../snapshot/schema.js';
import { autoHealGuard, type Guard } from './guards.js';
import { proposeActions } from './plan.js';
import { EMPTY_CONTEXT, type Decision, type DecisionContext, type DecisionRule, type PlannedAction } from './types.js';

interface Route {
  readonly decision: DecisionClass;
  readonly rule: DecisionRule;
  readonly reason: string;
  readonly actions: readonly PlannedAction[];
}

const pct = (p: number) => p.toFixed(2);

/**
 * The decision table (README, "Decision table"), first matching row wins.
 * Risky signals are a floor the model cannot lower; the model can raise a
 * snapshot to a human but can only run something the policy proposes.
 */
function route(
  host: string,
  prediction: Prediction,
  confidence: number,
  policy: Policy,
  context: DecisionContext,
  fired: ReturnType<typeof firedConditions>,
  proposed: readonly PlannedAction[],
): Route {
  const risky = proposed.filter((a) => a.risk === 'risky');
  const safe = proposed.filter((a) => a.risk === 'safe');
  const model = `model says ${prediction.class} (p=${pct(confidence)})`;

  if (risky.length > 0) {
    const held = safe.length > 0 ? `; safe actions ${safe.map((a) => a.id).join(', ')} wait for the same approval` : '';
    return {
      decision: 'HITL_REQUIRED',
      rule: 'risky_action',
      reason: `${risky.map((a) => a.id).join(', ')} ${risky.length > 1 ? 'are' : 'is'} risky: needs approval${held}`,
      actions: proposed,
    };
  }
  if (ruleClass(fired) === 'HITL_REQUIRED') {
    const signals = fired.filter((c) => c.class === 'HITL_REQUIRED').map((c) => c.signal);
    return {
      decision: 'HITL_REQUIRED',
      rule: 'hitl_signal',
      reason: `${signals.join(', ')} needs a human decision`,
      actions: proposed,
    };
  }
  if (prediction.class === 'HITL_REQUIRED') {
    return {
      decision: 'HITL_REQUIRED',
      rule: 'model_hitl',
      reason: `${model}: escalated to a human`,
      actions: proposed,
    };
  }
  if (confidence < policy.decision.min_confidence) {
    return {
      decision: 'HITL_REQUIRED',
      rule: 'low_confidence',
      reason: `${model}, below the ${policy.decision.min_confidence} confidence needed to act alone`,
      actions: proposed,
    };
  }
  if (prediction.class === 'NO_ACTION') {
    if (fired.length === 0)
      return { decision: 'NO_ACTION', rule: 'healthy', reason: `all signals within thresholds; ${model}`, actions: [] };
    return {
      decision: 'HITL_REQUIRED',
      rule: 'disagreement',
      reason: `${model} but the policy's thresholds are crossed`,
      actions: proposed,
    };
  }
  const unhandled = fired.filter((c) => !safe.some((a) => a.signal === c.signal));
  if (fired.length === 0 || unhandled.length > 0) {
    const why =
      fired.length === 0
        ? 'no signal is past its threshold'
        : `no safe action handles ${unhandled.map((c) => c.signal).join(', ')}`;
    return { decision: 'HITL_REQUIRED', rule: 'no_safe_action', reason: `${model} but ${why}`, actions: proposed };
  }
  const guard = autoHealGuard(host, safe, policy, context);
  if (guard) return { decision: 'HITL_REQUIRED', rule: guard.rule, reason: guard.reason, actions: proposed };
  return {
    decision: 'AUTO_HEAL',
    rule: 'auto_heal',
    reason: `${model}: running ${safe.map((a) => a.id).join(', ')}`,
    actions: safe,
  };
}

/**
 * snapshot + model + policy + context → decision. Pure and deterministic:
 * no clock, randomness or I/O; the same inputs give the same decision.
 */
export function decide(
  snapshot: Snapshot,
  classifier: SeverityClassifier,
  policy: Policy,
  context: DecisionContext = EMPTY_CONTEXT,
): Decision {
  const fired = firedConditions(snapshot, policy);
  const prediction = classifier.explain(snapshot);
  const confidence = prediction.probabilities[severityOf(prediction.class)];
  const proposed = proposeActions(fired, policy);
  const chosen = route(snapshot.host, prediction, confidence, policy, context, fired, proposed);
  return {
    host: snapshot.host,
    ts: snapshot.ts ?? null,
    decision: chosen.decision,
    severity: severityOf(chosen.decision),
    rule: chosen.rule,
    probabilities: prediction.probabilities,
    model: classifier.version,
    model_class: prediction.class,
    confidence,
    policy: policy.id,
    reasons: [...fired.map(describeCondition), chosen.reason],
    actions: chosen.actions,
    signals: fired.map((c) => ({ ...c, open: context.openIncidents.includes(c.signal) })),
    contributions: prediction.contributions,
  };
}

/**
 * An AUTO_HEAL decision held after the fact: its breaker slots were refused
 * (the shell reserves them atomically, after deciding) or nothing took its
 * job. The same actions go to a human, the last reason saying why.
 */
export function holdAutoHeal(decision: Decision, guard: Guard): Decision {
  if (decision.decision !== 'AUTO_HEAL') return decision;
  return {
    ...decision,
    decision: 'HITL_REQUIRED',
    severity: severityOf('HITL_REQUIRED'),
    rule: guard.rule,
    reasons: [...decision.reasons.slice(0, -1), guard.reason],
  };
}
