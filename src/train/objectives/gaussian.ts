// The `gaussian` objective kind: noise augmentation for randomized smoothing.
import { gaussianObjective, type ObjectiveEngine } from '../objective.js';

export const engine: ObjectiveEngine<{ sigma: number }> = { name: 'gaussian', objective: (o) => gaussianObjective(o.sigma) };
