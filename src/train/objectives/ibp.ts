// The `ibp` objective kind: IBP certified training (Gowal et al. 2018).
import { ibpObjective } from '../certified.js';
import type { ObjectiveEngine } from '../objective.js';
import { certifiedTrainingOptions, type CertifiedObjectiveOptions } from './certified.js';

export const engine: ObjectiveEngine<CertifiedObjectiveOptions> = { name: 'ibp', objective: (o, ctx) => ibpObjective(certifiedTrainingOptions(o, ctx)) };
