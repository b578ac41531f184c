// The package ships no types; this covers the surface healgate uses.
declare module 'ml-logistic-regression' {
  import type { Matrix } from 'ml-matrix';

  export interface LogisticRegressionJSON {
    name: 'LogisticRegression';
    numSteps: number;
    learningRate: number;
    numberClasses: number;
    classifiers: { numSteps: number; learningRate: number; weights: number[][] }[];
  }

  export default class LogisticRegression {
    constructor(options?: { numSteps?: number; learningRate?: number });
    numberClasses: number;
    train(X: Matrix, Y: Matrix): void;
    predict(X: Matrix): number[];
    toJSON(): unknown;
    static load(model: LogisticRegressionJSON): LogisticRegression;
  }
}
