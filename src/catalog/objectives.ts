// How the victim trains: plain, with Gaussian noise (for randomized smoothing), or certified
// training (for bound-based certifiers). The run function is the `engine` of the kind's file in
// src/train/objectives/, loaded on demand.
import type { ObjectiveEngine } from '../train/objective.js';
import { family, type KindWithOptions } from './family.js';
import { int, noOptions, num, obj, positive, prob, type Static, type TObject } from './schema-kit.js';

export interface ObjectiveEntry<O extends TObject = TObject> extends KindWithOptions<O> {
  load(): Promise<{ engine: ObjectiveEngine<Static<O>> }>;
}

const objective = <O extends TObject>(e: ObjectiveEntry<O>): ObjectiveEntry<O> => e;

const certifiedTraining = (method: string) => ({
  epsilon: num(0.1, `L-infinity radius trained for (${method}).`, { ...positive, maximum: 1, alias: 'epsilon' }),
  epsilonRampEpochs: int(5, 'Epochs over which the training epsilon ramps up from 0 (after a warm-up of at most 10% of training at 0).', { minimum: 0 }),
  kappa: obj('Weight of the natural loss, kappa * natural + (1 - kappa) * certified, ramped from start to end.', {
    start: num(1, 'kappa at the start of the ramp.', prob),
    end: num(0.5, 'kappa at the end of the ramp.', prob),
  }),
});

export const OBJECTIVES = family('objective', {
  standard: objective({
    description: 'plain cross-entropy (hard labels, or the soft targets the poison carries)',
    options: noOptions(),
    load: () => import('../train/objectives/standard.js'),
  }),
  gaussian: objective({
    description: 'Gaussian noise augmentation (Cohen et al. 2019), the base classifier randomized smoothing needs',
    options: obj('gaussian: train on x + N(0, sigma^2 I).', {
      sigma: num(0.25, 'Noise standard deviation (usually the smoothing sigma).', { ...positive, alias: 'sigma' }),
    }),
    load: () => import('../train/objectives/gaussian.js'),
  }),
  ibp: objective({
    description: 'IBP certified training (Gowal et al. 2018), for bound-based certifiers',
    options: obj('ibp: natural loss mixed with the loss of the IBP worst-case logits.', certifiedTraining('IBP')),
    load: () => import('../train/objectives/ibp.js'),
  }),
  'crown-ibp': objective({
    description: 'CROWN-IBP certified training (Zhang et al. 2020), for bound-based certifiers',
    options: obj('crown-ibp: like ibp, with the CROWN-IBP bound mixed in (weight beta).', {
      ...certifiedTraining('CROWN-IBP'),
      beta: obj('Weight of the CROWN-IBP bound in its mix with IBP, ramped from start to end.', {
        start: num(1, 'beta at the start of the ramp.', prob),
        end: num(0, 'beta at the end of the ramp.', prob),
      }),
    }),
    load: () => import('../train/objectives/crown-ibp.js'),
  }),
});

export type ObjectiveName = (typeof OBJECTIVES.names)[number];
