// The `crown-ibp` objective kind: CROWN-IBP certified training (Zhang et al. 2020).
import { crownIbpObjective } from '../certified.js';
import type { ObjectiveEngine } from '../objective.js';
import { certifiedTrainingOptions, type CertifiedObjectiveOptions } from './certified.js';

export const engine: ObjectiveEngine<Required<CertifiedObjectiveOptions>> = { name: 'crown-ibp', objective: (o, ctx) => crownIbpObjective(certifiedTrainingOptions(o, ctx)) };
