/**
 * The three outcomes of an evaluation, in rank order: a higher index always
 * outranks a lower one, and the index is the decision's `severity`.
 */
export const CLASSES = ['NO_ACTION', 'AUTO_HEAL', 'HITL_REQUIRED'] as const;

export type DecisionClass = (typeof CLASSES)[number];
export type Severity = 0 | 1 | 2;

export function severityOf(cls: DecisionClass): Severity {
  return CLASSES.indexOf(cls) as Severity;
}

export function higherClass(a: DecisionClass, b: DecisionClass): DecisionClass {
  return severityOf(a) >= severityOf(b) ? a : b;
}
