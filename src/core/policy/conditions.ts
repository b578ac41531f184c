import { CLASSES, higherClass, type DecisionClass } from '../classes.js';
import { SIGNALS, type Signal, type Signals } from '../snapshot/schema.js';
import type { PolicyDocument, SignalCondition } from './schema.js';

export interface FiredCondition {
  readonly signal: Signal;
  readonly value: number;
  readonly op: SignalCondition['op'];
  readonly threshold: number;
  readonly class: Exclude<DecisionClass, 'NO_ACTION'>;
}

export function conditionHolds(condition: SignalCondition, value: number): boolean {
  switch (condition.op) {
    case '>':
      return value > condition.threshold;
    case '>=':
      return value >= condition.threshold;
    case '==':
      return value === condition.threshold;
  }
}

/** The policy's signal conditions that hold for these signals, in signal order. */
export function firedConditions(signals: Signals, policy: Pick<PolicyDocument, 'signals'>): FiredCondition[] {
  const fired: FiredCondition[] = [];
  for (const signal of SIGNALS) {
    const condition = policy.signals[signal];
    const value = signals[signal];
    if (conditionHolds(condition, value)) {
      fired.push({ signal, value, op: condition.op, threshold: condition.threshold, class: condition.class });
    }
  }
  return fired;
}

/** The class the rules alone give: the highest class among the fired conditions. */
export function ruleClass(fired: readonly FiredCondition[]): DecisionClass {
  return fired.reduce<DecisionClass>((acc, c) => higherClass(acc, c.class), CLASSES[0]);
}

/** The labelling function the model is trained to reproduce. */
export function labelByRules(signals: Signals, policy: Pick<PolicyDocument, 'signals'>): DecisionClass {
  return ruleClass(firedConditions(signals, policy));
}

/** `disk_usage 91.5 > 85`; a binary signal reads `firewall_change_requested = 1`. */
export function describeCondition(c: FiredCondition): string {
  return c.op === '==' ? `${c.signal} = ${c.value}` : `${c.signal} ${c.value} ${c.op} ${c.threshold}`;
}
