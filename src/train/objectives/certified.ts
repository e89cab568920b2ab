// The schedule shared by the certified-training kinds (ibp, crown-ibp): epsilon ramps over
// epsilonRampEpochs after a warm-up of at most 10% of training, kappa (and beta) move with it.
import type { CertifiedTrainingOptions } from '../certified.js';

export interface CertifiedObjectiveOptions {
  epsilon: number;
  epsilonRampEpochs: number;
  kappa: { start: number; end: number };
  beta?: { start: number; end: number };
}

export function certifiedTrainingOptions(o: CertifiedObjectiveOptions, ctx: { numClasses: number; epochs: number }): CertifiedTrainingOptions {
  const ramp = Math.min(1, o.epsilonRampEpochs / ctx.epochs);
  return { epsilon: o.epsilon, numClasses: ctx.numClasses, rampFraction: ramp, warmupFraction: Math.min(0.1, 1 - ramp), kappa: o.kappa, beta: o.beta };
}
