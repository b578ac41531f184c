import { CLASSES, type DecisionClass } from '../classes.js';

/** Rows are the expected class, columns the predicted one, both in CLASSES order. */
export type ConfusionMatrix = number[][];

export interface ClassMetrics {
  precision: number;
  recall: number;
  support: number;
}

export interface Scores {
  total: number;
  accuracy: number;
  confusion: ConfusionMatrix;
  per_class: Record<DecisionClass, ClassMetrics>;
}

export class ConfusionCounter {
  readonly confusion: ConfusionMatrix = CLASSES.map(() => CLASSES.map(() => 0));

  add(expected: number, predicted: number): void {
    this.confusion[expected]![predicted]! += 1;
  }

  scores(): Scores {
    const m = this.confusion;
    const total = m.flat().reduce((a, b) => a + b, 0);
    const correct = CLASSES.reduce((acc, _, i) => acc + m[i]![i]!, 0);
    const per_class = Object.fromEntries(
      CLASSES.map((name, i) => {
        const predicted = CLASSES.reduce((acc, _, r) => acc + m[r]![i]!, 0);
        const support = m[i]!.reduce((a, b) => a + b, 0);
        return [name, { precision: ratio(m[i]![i]!, predicted), recall: ratio(m[i]![i]!, support), support }];
      }),
    ) as Record<DecisionClass, ClassMetrics>;
    return { total, accuracy: ratio(correct, total), confusion: m, per_class };
  }
}

/** Accumulates expected calibration error (10 equal-width bins over confidence) and the multi-class Brier score. */
export class CalibrationCounter {
  private readonly bins = Array.from({ length: 10 }, () => ({ n: 0, confidence: 0, correct: 0 }));
  private brierSum = 0;
  private n = 0;

  add(expected: number, probabilities: ArrayLike<number>): void {
    let best = 0;
    for (let j = 1; j < probabilities.length; j++) if (probabilities[j]! > probabilities[best]!) best = j;
    const confidence = probabilities[best]!;
    const bin = this.bins[Math.min(9, Math.floor(confidence * 10))]!;
    bin.n += 1;
    bin.confidence += confidence;
    bin.correct += best === expected ? 1 : 0;
    for (let j = 0; j < probabilities.length; j++) this.brierSum += (probabilities[j]! - (j === expected ? 1 : 0)) ** 2;
    this.n += 1;
  }

  expectedCalibrationError(): number {
    return this.bins.reduce(
      (acc, b) => acc + (b.n === 0 ? 0 : (b.n / this.n) * Math.abs(b.confidence / b.n - b.correct / b.n)),
      0,
    );
  }

  brier(): number {
    return ratio(this.brierSum, this.n);
  }
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

/** A fixed-width text table of a confusion matrix, for terminals and the model card. */
export function formatConfusion(m: ConfusionMatrix): string {
  const header = ['expected \\ predicted', ...CLASSES];
  const rows = CLASSES.map((name, i) => [name, ...m[i]!.map(String)]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  return [header, ...rows].map((r) => r.map((cell, c) => cell.padStart(widths[c]!)).join('  ')).join('\n');
}
